"""Third-party scanners on a render, offline, at the versions pinned in the template's uv.lock.

- actionlint (the kjanat fork, the one with a wheel on PyPI; it runs shellcheck on `run:`
  scripts) and zizmor (`--offline`) on `.github/workflows/`;
- checkov's dockerfile, github_actions and kubernetes checks on the Dockerfile, the workflows
  and what the release overlay deploys (`kustomize.build` of deploy/k8s/overlays/release).

Each scanner runs once per render; a finding fails the test that asked for the scan. Findings
left on purpose are suppressed in the rendered file itself, with the reason next to them.
"""

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import kustomize
from .common import BIN, run

RELEASE_OVERLAY = Path("deploy", "k8s", "overlays", "release")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Scan:
    """What the three scanners reported for one render."""

    workflow_files: int = 0
    actionlint: list[str] = field(default_factory=list)
    zizmor: list[str] = field(default_factory=list)
    zizmor_ignored: int = 0
    checkov_passed: int = 0
    checkov_skipped: int = 0
    checkov: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[str]:
        return self.actionlint + self.zizmor + self.checkov


def actionlint(files: list[Path]) -> list[str]:
    result = run(
        BIN / "actionlint", "-shellcheck", BIN / "shellcheck", "-format", "{{json .}}", *files
    )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise RuntimeError(f"actionlint failed: {result.stdout}{result.stderr}")
    return [
        f"actionlint {Path(e['filepath']).name}:{e['line']}: [{e['kind']}] {e['message']}"
        for e in json.loads(result.stdout)
    ]


def zizmor(workflows: Path) -> tuple[list[str], int]:
    """The findings, and how many were ignored inline (`# zizmor: ignore[...]`)."""
    # Colour codes would split the summary's numbers from their words; CI may force colour on.
    result = run(
        BIN / "zizmor",
        "--offline",
        "--no-progress",
        "--color",
        "never",
        "--format",
        "plain",
        workflows,
    )
    output = ANSI_ESCAPE.sub("", result.stdout + result.stderr)
    summary = re.search(r"(No findings to report|(\d+) findings?)\b.*$", output, re.MULTILINE)
    if summary is None or result.returncode not in (0, 10, 11, 12, 13, 14):
        raise RuntimeError(f"zizmor failed ({result.returncode}): {output}")
    ignored = re.search(r"(\d+) ignored", summary.group(0))
    findings = [] if result.returncode == 0 else [f"zizmor: {output}"]
    return findings, int(ignored.group(1)) if ignored else 0


def checkov(directory: Path) -> tuple[int, int, list[str]]:
    """Passed, skipped (suppressed inline) and the failed checks."""
    result = run(
        BIN / "checkov",
        "--skip-download",
        "--framework",
        "dockerfile",
        "github_actions",
        "kubernetes",
        "--directory",
        directory,
        "--output",
        "json",
    )
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"checkov failed: {result.stdout[-2000:]}{result.stderr}") from exc
    reports = reports if isinstance(reports, list) else [reports]
    kinds = {report["check_type"] for report in reports}
    expected = {"github_actions"}
    expected |= {"dockerfile"} if (directory / "Dockerfile").exists() else set()
    expected |= {"kubernetes"} if (directory / "release.yaml").exists() else set()
    assert kinds == expected, f"checkov scanned {kinds}, not {expected}"
    passed = sum(report["summary"]["passed"] for report in reports)
    skipped = sum(report["summary"]["skipped"] for report in reports)
    failed = [
        f"checkov {check['check_id']} {check['resource']} ({check['file_path']}): "
        f"{check['check_name']}"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    return passed, skipped, failed


def scan(project: Path, workdir: Path) -> Scan:
    """Every scanner over `project`; `workdir` receives what checkov reads."""
    workflows = project / ".github" / "workflows"
    files = sorted(workflows.glob("*.yml"))
    found = Scan(workflow_files=len(files))
    found.actionlint = actionlint(files)
    found.zizmor, found.zizmor_ignored = zizmor(workflows)
    # One directory for checkov: the image recipe, the workflows and the deployed objects.
    target = workdir / "checkov"
    shutil.copytree(workflows, target / ".github" / "workflows")
    if (project / "Dockerfile").exists():
        shutil.copy(project / "Dockerfile", target / "Dockerfile")
    if (project / RELEASE_OVERLAY).exists():
        objects: list[dict[str, Any]] = kustomize.build(project / RELEASE_OVERLAY)
        (target / "release.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=False))
    found.checkov_passed, found.checkov_skipped, found.checkov = checkov(target)
    return found
