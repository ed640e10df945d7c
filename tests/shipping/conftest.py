"""The `projects` fixture: each combination of `common.RENDERS`, rendered once per worker."""

from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from ..conftest import TEMPLATE_ROOT
from .common import RENDERS


@pytest.fixture(scope="session")
def projects(
    tmp_path_factory: pytest.TempPathFactory, cookiecutter_config: Path
) -> dict[str, Path]:
    """Each combination rendered once for all shipping modules (the checks only read files)."""
    rendered = {}
    for name, answers in RENDERS.items():
        output = tmp_path_factory.mktemp(f"ship-{name}")
        rendered[name] = Path(
            cookiecutter(
                str(TEMPLATE_ROOT),
                no_input=True,
                extra_context=answers,
                output_dir=str(output),
                config_file=str(cookiecutter_config),
            )
        )
    return rendered
