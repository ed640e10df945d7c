"""The rendered service, installed and running: API docs in Chromium, probes, HEALTHCHECK, hooks.

Chromium may reach 127.0.0.1 only (every other host name resolves to nothing and any proxied
request goes to a closed port), so the docs page renders its operations only when its assets are
served by the app itself. A control run against FastAPI's stock page, whose assets come from a
CDN, shows that the same browser set-up renders nothing there.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from .conftest import project_env, uv_binary
from .service import free_port, render_and_install

pytestmark = pytest.mark.slow

PREFIX = "MY_SERVICE_"
OPERATIONS = {"/health", "/ready", "/version"}
STARTUP_SECONDS = 30.0
# The one-line control app: FastAPI's own /docs, which loads Swagger UI from a CDN.
CDN_DOCS_APP = (
    "import sys, uvicorn\n"
    "from fastapi import FastAPI\n"
    "app = FastAPI()\n"
    "app.get('/health')(lambda: {'status': 'ok'})\n"
    "uvicorn.run(app, host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')\n"
)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium; .ci/run installs it. Missing in CI is a failure, locally a skip."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed: .ci/run installs it with apt-get")
    pytest.skip("chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, cookiecutter_config: Path) -> Path:
    """The default render after its README's first step, `make install`."""
    output = tmp_path_factory.mktemp("browser")
    project = render_and_install(output, cookiecutter_config)
    assert (project / "uv.lock").is_file(), "make install creates the lock (the hooks never run uv)"
    return project


@contextmanager
def running(command: list[str], port: int, log: Path, env: dict[str, str]) -> Iterator[str]:
    """Start a server process, wait until /health answers, stop it on exit."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                httpx.get(f"{base_url}/health", timeout=1.0)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{command} did not start:\n{log.read_text()}")
                time.sleep(0.2)
        yield base_url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def dump_dom(chromium: str, url: str, profile: Path) -> str:
    """The page's DOM after scripts ran, with network access limited to 127.0.0.1."""
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            f"--user-data-dir={profile}",
            # Every host name but 127.0.0.1 fails to resolve ...
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            # ... and anything sent through a proxy goes to a port where nothing listens.
            "--proxy-server=http://127.0.0.1:9",
            "--virtual-time-budget=10000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


def rendered_operations(dom: str) -> set[str]:
    """Paths of the operations Swagger UI rendered (one `opblock` per operation)."""
    return set(re.findall(r'class="opblock-summary-path"[^>]*data-path="([^"]+)"', dom))


def service_env(project: Path, tmp_path: Path) -> dict[str, str]:
    """Settings as on Kubernetes: the ConfigMap's file via <PKG>_CONFIG, a token from the Secret."""
    configmap = yaml.safe_load((project / "deploy" / "k8s" / "configmap.yaml").read_text())
    config = tmp_path / "config.yaml"
    config.write_text(configmap["data"]["config.yaml"])
    env = {k: v for k, v in project_env().items() if not k.startswith(PREFIX)}
    env[f"{PREFIX}CONFIG"] = str(config)
    env[f"{PREFIX}SERVER__AUTH__TOKEN"] = "browser-test-token"
    # The Deployment's S3 bucket is not here: the objects API keeps its objects locally.
    env[f"{PREFIX}STORAGE__BACKEND"] = "local"
    env[f"{PREFIX}STORAGE__ROOT"] = str(tmp_path / "data")
    if (project / "src" / project.name.replace("-", "_") / "db").is_dir():
        # The Secret's database, here an SQLite file, migrated as the migration Job does.
        env[f"{PREFIX}DATABASE__URL"] = f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"
        migrate = [str(project / ".venv" / "bin" / project.name), "db", "upgrade"]
        done = subprocess.run(migrate, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    return env


def test_docs_render_offline_in_chromium(installed: Path, chromium: str, tmp_path: Path) -> None:
    port = free_port()
    command = [
        str(installed / ".venv" / "bin" / installed.name),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    env = service_env(installed, tmp_path)
    with running(command, port, tmp_path / "server.log", env) as base_url:
        assert httpx.get(f"{base_url}/version").status_code == 401, "the token is in force"
        swagger = dump_dom(chromium, f"{base_url}/docs", tmp_path / "profile-docs")
        redoc = dump_dom(chromium, f"{base_url}/redoc", tmp_path / "profile-redoc")
    assert rendered_operations(swagger) >= OPERATIONS, swagger[-3000:]
    # The document declares the bearer scheme (issue 14): Swagger UI offers its Authorize button.
    assert 'class="btn authorize' in swagger, "Swagger UI shows the Authorize button"
    for operation in ("health_health_get", "ready_ready_get", "version_version_get"):
        assert f"operation/{operation}" in redoc, "ReDoc lists every operation"
    log = (tmp_path / "server.log").read_text()
    assert '"GET /docs/static/swagger-ui-bundle.js' in log, "the browser loaded the local bundle"


def test_cdn_docs_render_nothing_in_the_same_browser(
    installed: Path, chromium: str, tmp_path: Path
) -> None:
    """Control: the network restriction is real, so the test above can fail."""
    port = free_port()
    command = [str(installed / ".venv" / "bin" / "python"), "-c", CDN_DOCS_APP, str(port)]
    with running(command, port, tmp_path / "cdn.log", project_env()) as base_url:
        page = httpx.get(f"{base_url}/docs").text
        dom = dump_dom(chromium, f"{base_url}/docs", tmp_path / "profile")
    assert "cdn.jsdelivr.net" in page
    assert rendered_operations(dom) == set()
    assert "opblock" not in dom


def test_probes_and_healthcheck_work_on_the_running_service(
    installed: Path, tmp_path: Path
) -> None:
    """The Dockerfile HEALTHCHECK command and the k8s probe paths, against the real server."""
    dockerfile = (installed / "Dockerfile").read_text()
    match = re.search(r'HEALTHCHECK .*?CMD \["python", "-c", "(.+?)"\]', dockerfile, re.S)
    assert match, "the HEALTHCHECK is a python one-liner"
    healthcheck = [str(installed / ".venv" / "bin" / "python"), "-c", match.group(1)]
    port = free_port()
    env = service_env(installed, tmp_path)
    env[f"{PREFIX}SERVER__PORT"] = str(port)  # what the HEALTHCHECK reads, like the server
    command = [str(installed / ".venv" / "bin" / installed.name), "serve", "--host", "127.0.0.1"]
    with running(command, port, tmp_path / "server.log", env) as base_url:
        assert httpx.get(f"{base_url}/health").json() == {"status": "ok"}
        assert httpx.get(f"{base_url}/ready").status_code == 200
        up = subprocess.run(healthcheck, env=env, capture_output=True, timeout=30, check=False)
    down = subprocess.run(healthcheck, env=env, capture_output=True, timeout=30, check=False)
    assert up.returncode == 0, up.stderr
    assert down.returncode != 0, "the probe fails once the server is gone"


def test_pre_commit_hooks_pass_on_the_fresh_project(installed: Path, tmp_path: Path) -> None:
    """The local hooks run ruff and mypy through uv on a new repository and change nothing."""
    env = {**project_env(), "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")}
    env["PATH"] = f"{Path(uv_binary()).parent}{os.pathsep}{env['PATH']}"
    for command in (["git", "init", "-q"], ["git", "add", "--all"]):
        subprocess.run(command, cwd=installed, env=env, check=True, timeout=60)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("pre-commit")), "run", "--all-files"],
        cwd=installed,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    for hook in ("ruff check", "ruff format", "mypy --strict"):
        assert re.search(rf"^{re.escape(hook)}\.+Passed$", result.stdout, re.M), hook
