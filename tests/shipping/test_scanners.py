"""actionlint, zizmor and checkov on every shipping render: no finding left unexplained.

Their counts go on the test report and end the run's summary (`tests/reporting.py`).
"""

from pathlib import Path

import pytest

from ..reporting import SCANNERS
from .common import RENDERS
from .scanners import actionlint, checkov, scan, zizmor


@pytest.mark.parametrize("name", RENDERS)
def test_scanners_find_nothing_unsuppressed(
    projects: dict[str, Path], name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    found = scan(projects[name], tmp_path)
    request.node.user_properties.append(
        (
            SCANNERS,
            {
                "workflow_files": found.workflow_files,
                "actionlint": len(found.actionlint),
                "zizmor": len(found.zizmor),
                "zizmor_ignored": found.zizmor_ignored,
                "checkov_passed": found.checkov_passed,
                "checkov_failed": len(found.checkov),
                "checkov_skipped": found.checkov_skipped,
            },
        )
    )
    assert found.findings == []
    assert found.checkov_passed > 0


BAD_WORKFLOW = """\
on: push
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0
      - run: echo ${{ github.event.head_commit.message }} && cd $HOME/src
"""

BAD_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bad
spec:
  selector:
    matchLabels: {app: bad}
  template:
    metadata:
      labels: {app: bad}
    spec:
      containers:
        - name: app
          image: bad:latest
"""


def test_the_scanners_can_fail(tmp_path: Path) -> None:
    """Each scanner, as the suite runs it, reports a workflow and a Deployment known to be bad."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(BAD_WORKFLOW)
    (tmp_path / "release.yaml").write_text(BAD_DEPLOYMENT)
    lint = "\n".join(actionlint([workflows / "bad.yml"]))
    assert "[expression]" in lint, "the untrusted input in a script"
    assert "SC2086" in lint, "shellcheck runs on the script"
    findings, _ = zizmor(workflows)
    assert "artipacked" in "\n".join(findings)
    assert "template-injection" in "\n".join(findings)
    _, _, failed = checkov(tmp_path)
    failed_ids = {finding.split()[1] for finding in failed}
    assert {"CKV_K8S_14", "CKV_K8S_43", "CKV2_K8S_6"} <= failed_ids, failed_ids
