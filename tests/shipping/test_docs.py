"""The generated docs: links resolve, every guide is linked, the README opens with a tour."""

import re
from pathlib import Path

import pytest

from .common import RENDERS, WITH_SERVER


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


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@pytest.mark.parametrize("name", RENDERS)
def test_readme_opens_with_a_one_screen_first_ten_minutes(
    projects: dict[str, Path], name: str
) -> None:
    """Issue 14: run, call, configure, test, deploy on one screen, linking to the reference."""
    readme = (projects[name] / "README.md").read_text()
    headings = re.findall(r"^## (.+)$", readme, flags=re.MULTILINE)
    assert headings[0] == "First ten minutes"
    section = readme.split("## First ten minutes\n", 1)[1].split("\n## ", 1)[0]
    assert len(section.strip().splitlines()) <= 30, "one screen"
    for step in ("make run", "config --defaults", "make test"):
        assert step in section, step
    if name in WITH_SERVER:
        assert "curl http://127.0.0.1:8080/" in section
    assert "make image" in section
    anchors = {github_anchor(heading) for heading in headings}
    links = re.findall(r"\]\(#([^)]+)\)", section)
    assert len(links) >= 4
    for anchor in links:
        assert anchor in anchors, anchor
