"""What the shipping tests share: the rendered combinations and small command/YAML helpers."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

# The validators (hadolint, check-jsonschema, pre-commit) installed next to this interpreter.
BIN = Path(sys.executable).parent

RENDERS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "no-s3": {"with_s3": False},
    "cli-only": {"with_server": False},
    "cli-only-no-s3": {"with_server": False, "with_s3": False},
    "python-3.14": {"python_version": "3.14", "version": "2!1.0rc1"},
    "no-database": {"with_database": False},
    "no-jobs": {"with_jobs": False},
    # The server alone: the NetworkPolicy lets out DNS only (the scanners see that variant too).
    "server-only": {
        "with_s3": False,
        "with_http_client": False,
        "with_files": False,
        "with_example_api": False,
        "with_metrics": False,
        "with_database": False,
        "with_jobs": False,
        "with_otel": False,
        "with_sentry": False,
    },
}
WITH_SERVER = [name for name, answers in RENDERS.items() if answers.get("with_server", True)]


def answers_of(name: str) -> dict[str, Any]:
    defaults = {
        "with_server": True,
        "with_s3": True,
        "with_http_client": True,
        "with_files": True,
        "with_example_api": True,
        "with_database": True,
        "with_jobs": True,
        "with_metrics": True,
        "with_otel": True,
        "with_sentry": True,
        "python_version": "3.11",
        "version": "0.1.0",
    }
    return {**defaults, **RENDERS[name]}


def run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())
