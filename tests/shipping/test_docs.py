"""The generated docs: relative links resolve, every guide is linked from the README."""

import re
from pathlib import Path

import pytest

from .common import RENDERS


@pytest.mark.parametrize("name", RENDERS)
def test_every_relative_link_in_the_docs_resolves(projects: dict[str, Path], name: str) -> None:
    project = projects[name]
    documents = [project / "README.md", *sorted((project / "docs").rglob("*.md"))]
    assert len(documents) >= 4
    for document in documents:
        for target in re.findall(r"\]\(([^)#:]+)\)", document.read_text()):
            assert (document.parent / target).is_file(), f"{document.name} → {target}"
    readme = (project / "README.md").read_text()
    for guide in sorted((project / "docs").rglob("*.md")):
        assert str(guide.relative_to(project)) in readme, f"README links {guide.name}"


def test_concept_doc_explains_offloading_blocking_work(projects: dict[str, Path]) -> None:
    text = (projects["defaults"] / "docs" / "async-everywhere.md").read_text()
    for needle in ("asyncio.to_thread", "anyio.to_thread", "time.sleep", "ASYNC"):
        assert needle in text, needle
