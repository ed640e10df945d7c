"""The generated README's commands, pasted into a fresh shell in a rendered project (issue 14).

A new user follows the README literally: the CLI lines, the S3 section's variables and the
pre-commit setup must work as written, with no uv and no virtualenv on `PATH` (uv may live in
`.tools/`, which is not on it).
"""

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from .conftest import run_make
from .service import free_port, render_and_install, running_service
from .updates import GIT_ENV, commit_all, run

pytestmark = pytest.mark.slow

# A fresh shell on a machine with only python3, git and make: no uv, no activated venv.
BARE_PATH = "/usr/local/bin:/usr/bin:/bin"
SLUG = "my-service"
PREFIX = "MY_SERVICE_"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, cookiecutter_config: Path) -> Path:
    """The default render after `make install`, in a git repository (the tests may change it)."""
    project = render_and_install(tmp_path_factory.mktemp("readme-project"), cookiecutter_config)
    run("git", "init", "--quiet", "--initial-branch=main", cwd=project)
    commit_all(project, "generated")
    return project


def shell(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`command` in bash as a user would paste it, with the bare PATH."""
    base = {"PATH": BARE_PATH, "HOME": tempfile.gettempdir(), "LANG": "C.UTF-8", **GIT_ENV}
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def sh_blocks(markdown: str) -> list[str]:
    return fenced_blocks(markdown, "sh")


def fenced_blocks(markdown: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)


def section(markdown: str, heading: str) -> str:
    return markdown.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def cli_commands(markdown: str) -> list[str]:
    """Every README line that runs the service's CLI (after `VAR=value` assignments)."""
    found = []
    for block in sh_blocks(markdown):
        for line in block.splitlines():
            words = [w for w in line.split("#", 1)[0].split() if not re.match(r"^\w+=", w)]
            if words and words[0] in (SLUG, f".venv/bin/{SLUG}"):
                found.append(line)
    return found


def test_every_cli_command_in_the_readme_runs_in_a_fresh_shell(project: Path) -> None:
    """The README's CLI lines (`my-service config --defaults > config.yaml` was 'not found')."""
    commands = cli_commands((project / "README.md").read_text())
    assert len(commands) >= 5, commands
    ran = 0
    try:
        for command in commands:
            # Long-running or needing the internet: `serve` is what `make run` does (other
            # tests serve the project), `worker` runs until stopped (the generated jobs tests
            # run it); a download needs a reachable public URL.
            if re.search(r" (serve|download|worker)( |$)", command):
                continue
            result = shell(command, project)
            assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
            ran += 1
    finally:
        (project / "config.yaml").unlink(missing_ok=True)
    assert ran >= 5


def readme_s3_exports(readme: str) -> dict[str, str]:
    """The variables of the S3 section's MinIO block, as a shell sets them."""
    block = sh_blocks(section(readme, "Object storage (S3)"))[0]
    lines = block.split("# MinIO from compose.yaml", 1)[1].splitlines()
    exports = "\n".join(line for line in lines if line.startswith("export "))
    result = shell(f"{exports}\nenv -0", Path("/"))
    assert result.returncode == 0, result.stderr
    pairs = (item.split("=", 1) for item in result.stdout.split("\0") if "=" in item)
    return {name: value for name, value in pairs if name.startswith(PREFIX)}


@pytest.fixture
def moto_url(project: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    with (tmp_path / "moto.log").open("wb") as log:
        process = subprocess.Popen(
            [str(project / ".venv/bin/moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    pytest.fail("moto did not start: " + (tmp_path / "moto.log").read_text())
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_readme_s3_section_alone_moves_the_objects_api_to_s3(
    project: Path, moto_url: str, tmp_path: Path
) -> None:
    """Exporting exactly the S3 section's variables stores uploads in the bucket, not ./data."""
    settings = readme_s3_exports((project / "README.md").read_text())
    bucket = settings[f"{PREFIX}S3__BUCKET"]
    # MinIO's address is the one thing that differs here: moto listens on a free port.
    settings[f"{PREFIX}S3__ENDPOINT_URL"] = moto_url
    httpx.put(f"{moto_url}/{bucket}", timeout=10).raise_for_status()
    workdir = tmp_path / "work"
    workdir.mkdir()

    with running_service(project, workdir, settings) as service:
        put = httpx.put(
            f"{service.url}/api/v1/objects/notes/readme.txt",
            content=b"hello",
            headers={**service.auth, "Content-Type": "text/plain"},
            timeout=30,
        )
        assert put.status_code in (200, 201), put.text
        listing = httpx.get(f"{moto_url}/{bucket}", timeout=10).text
        log = service.log_text()

    assert "<Key>notes/readme.txt</Key>" in listing, "the object is in the bucket"
    # data/ may hold the database's SQLite file; the local backend keeps objects in data/objects.
    assert not (workdir / "data" / "objects").exists(), "no object in the local directory"
    assert f"objects API storage: S3 bucket {bucket}" in log
    assert "storage.backend=s3" in log


def test_objects_api_says_at_startup_that_it_stores_locally(project: Path, tmp_path: Path) -> None:
    """Without the S3 variables, one INFO line names the local directory and the setting."""
    with running_service(project, tmp_path) as service:
        log = service.log_text()
    lines = [line for line in log.splitlines() if "objects API storage:" in line]
    assert len(lines) == 1, log
    assert '"level": "INFO"' in lines[0] or "INFO" in lines[0]
    assert "local directory data (storage.backend=local)" in lines[0]


def test_documented_pre_commit_setup_runs_the_hooks_without_uv_on_path(
    project: Path, tmp_path: Path
) -> None:
    """The README's `make hooks`, then `git commit` in a shell where uv is not on PATH."""
    readme = (project / "README.md").read_text()
    assert "`make hooks` installs the git pre-commit hooks" in readme
    assert shutil.which("uv", path=BARE_PATH) is None, "this test needs uv off PATH"
    installed = run_make(project, "hooks")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    hooks_home = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    package = project / "src" / "my_service"

    (package / "unformatted.py").write_text('"""Badly formatted."""\n\nx=1\n')
    rejected = shell("git add -A && git commit -m unformatted", project, **hooks_home)
    assert rejected.returncode != 0, "ruff format changed the file, so the commit stops"
    output = rejected.stdout + rejected.stderr
    assert "not found" not in output, output
    assert re.search(r"ruff format\.+Failed", output), output

    accepted = shell("git add -A && git commit -m formatted", project, **hooks_home)
    output = accepted.stdout + accepted.stderr
    assert accepted.returncode == 0, output
    assert re.search(r"mypy --strict\.+Passed", output), "the hooks ran"
    assert (package / "unformatted.py").read_text().endswith("x = 1\n")


def subsection(markdown: str, heading: str) -> str:
    return re.split(r"\n##+ ", markdown.split(f"\n### {heading}\n", 1)[1], maxsplit=1)[0]


def test_readme_prometheus_scrape_reads_metrics_with_the_scrape_token_only(
    project: Path, tmp_path: Path
) -> None:
    """The README's scrape setup, followed literally, lets Prometheus in to /metrics only."""
    readme = (project / "README.md").read_text()
    text = subsection(readme, "Scraping `/metrics` with authentication on")
    run_line = sh_blocks(text)[0].strip()
    settings = dict(re.findall(rf"({PREFIX}\w+)=(\S+)", run_line))
    assert set(settings) == {f"{PREFIX}SERVER__AUTH__TOKEN", f"{PREFIX}METRICS__TOKEN"}
    job = yaml.safe_load(fenced_blocks(text, "yaml")[0])["scrape_configs"][0]
    assert job["authorization"]["type"] == "Bearer"
    # What the credentials file holds, per the block's first comment: the scrape token.
    scrape_token = settings[f"{PREFIX}METRICS__TOKEN"]
    assert f"({scrape_token})" in fenced_blocks(text, "yaml")[0].splitlines()[0]

    with running_service(project, tmp_path, settings) as service:
        url = service.url + job["metrics_path"]
        scraped = httpx.get(url, headers={"Authorization": f"Bearer {scrape_token}"}, timeout=10)
        elsewhere = httpx.get(
            f"{service.url}/version", headers={"Authorization": f"Bearer {scrape_token}"}
        )
        anonymous = httpx.get(url, timeout=10)
        schema = httpx.get(f"{service.url}/openapi.json", timeout=10).json()

    assert scraped.status_code == 200, scraped.text
    assert "http_requests_total" in scraped.text
    assert elsewhere.status_code == 401, "the scrape token opens /metrics and nothing else"
    assert anonymous.status_code == 401
    # Swagger UI's Authorize button comes from this scheme.
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
