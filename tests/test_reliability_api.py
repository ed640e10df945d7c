"""Reliability of the example objects API: hostile keys and URLs, faults, mixed load."""

import asyncio
import hashlib
import http.client
import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .reporting import Ledger
from .service import Service, is_envelope, running_service

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

OBJECTS = "/api/v1/objects"


@pytest.fixture(scope="module")
def project(default_project: Path) -> Path:
    return default_project


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api-service")


@pytest.fixture(scope="module")
def service(project: Path, workdir: Path) -> Iterator[Service]:
    with running_service(
        project, workdir, {"MY_SERVICE_STORAGE__MAX_OBJECT_BYTES": "4000000"}
    ) as s:
        yield s


def files_outside_objects(workdir: Path) -> list[str]:
    """Anything the service wrote outside its storage root (or left in its temp dir)."""
    stray = []
    for path in workdir.rglob("*"):
        relative = path.relative_to(workdir)
        if path.is_file() and relative.parts[0] not in ("data",) and not path.name.endswith(".log"):
            stray.append(str(relative))
        if path.is_file() and relative.parts[:2] == ("data", "tmp"):
            stray.append(str(relative))
    return stray


@pytest.mark.parametrize(
    "key",
    [
        "../escape.txt",
        "%2e%2e/escape.txt",
        "a/%2E%2E/%2e%2e/escape.txt",
        "%2Fabsolute.txt",
        "nul%00byte",
        "x" * 300,
        "a//b",
        "./dot",
        "a/../../escape.txt",
    ],
)
def test_hostile_keys_are_refused_in_the_envelope(
    service: Service, workdir: Path, ledger: Ledger, key: str
) -> None:
    with ledger.case("hostile_input"):
        # http.client sends the path as written; httpx would normalise "./" and "../" away.
        host, port = service.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            connection.request("PUT", f"{OBJECTS}/{key}", body=b"payload", headers=service.auth)
            raw = connection.getresponse()
            status, body = raw.status, raw.read()
        finally:
            connection.close()
        assert 400 <= status < 500, (key, status, body[:300])
        assert is_envelope(httpx.Response(status, content=body))
        assert files_outside_objects(workdir) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/x",
        "http://localhost:9/x",
        "http://10.0.0.1/x",
        "ftp://example.com/x",
        "file:///etc/passwd",
    ],
)
def test_import_refuses_private_and_odd_targets(service: Service, ledger: Ledger, url: str) -> None:
    with ledger.case("hostile_input"):
        response = httpx.post(
            f"{service.url}{OBJECTS}/import",
            json={"url": url, "key": "imported"},
            headers=service.auth,
        )
        assert 400 <= response.status_code < 500, (url, response.status_code, response.text)
        assert is_envelope(response)


def test_malformed_json_is_422(service: Service, ledger: Ledger) -> None:
    with ledger.case("hostile_input"):
        response = httpx.post(
            f"{service.url}{OBJECTS}/import",
            content=b'{"url": ',
            headers={**service.auth, "content-type": "application/json"},
        )
        assert response.status_code == 422
        assert is_envelope(response)


def test_oversized_upload_is_413_and_leaves_nothing(
    service: Service, workdir: Path, ledger: Ledger
) -> None:
    with ledger.case("hostile_input"):
        response = httpx.put(
            f"{service.url}{OBJECTS}/too-big.bin", content=b"x" * 5_000_000, headers=service.auth
        )
        assert response.status_code == 413
        assert is_envelope(response)
        assert (
            httpx.get(f"{service.url}{OBJECTS}/too-big.bin", headers=service.auth).status_code
            == 404
        )
        assert files_outside_objects(workdir) == []


def test_client_disconnect_mid_upload_leaves_nothing(
    service: Service, workdir: Path, ledger: Ledger
) -> None:
    with ledger.case("faults"):
        host, port = service.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as sock:
            head = (
                f"PUT {OBJECTS}/half.bin HTTP/1.1\r\nHost: {host}\r\n"
                f"Authorization: {service.auth['Authorization']}\r\n"
                "Content-Length: 3000000\r\n\r\n"
            )
            sock.sendall(head.encode() + b"y" * 500_000)
            time.sleep(0.3)
        time.sleep(1.0)
        assert (
            httpx.get(f"{service.url}{OBJECTS}/half.bin", headers=service.auth).status_code == 404
        )
        assert files_outside_objects(workdir) == []


async def put_retrying_503(
    client: httpx.AsyncClient, url: str, data: bytes, attempts: int = 6
) -> httpx.Response:
    """PUT as a well-behaved client does: a 503 is retried, after its Retry-After if it has one.

    Shedding under load is the service's contract (a budget, then 503); losing or mangling an
    object is not. On a loaded CI machine the SQLite object index was also seen answering
    503 `storage_unavailable` (no Retry-After) while another write held its lock.
    """
    for _ in range(attempts - 1):
        response = await client.put(url, content=data)
        if response.status_code != 503:
            return response
        await asyncio.sleep(min(float(response.headers.get("retry-after", 0.5)), 2.0))
    return await client.put(url, content=data)


def test_mixed_put_get_load_returns_what_was_put(service: Service, ledger: Ledger) -> None:
    """2,000 object operations (1,000 PUT, 1,000 GET) at concurrency 32."""

    async def run() -> list[str]:
        failures: list[str] = []
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(
            base_url=service.url, headers=service.auth, limits=limits, timeout=60
        ) as client:
            semaphore = asyncio.Semaphore(32)

            async def round_trip(index: int) -> None:
                data = os.urandom(1024 + (index * 997) % 65536)
                key = f"load/{index}.bin"
                async with semaphore:
                    try:
                        put = await put_retrying_503(client, f"{OBJECTS}/{key}", data)
                        got = await client.get(f"{OBJECTS}/{key}")
                    except httpx.HTTPError as exc:
                        failures.append(f"{key}: {exc!r}")
                        return
                if put.status_code >= 300 or got.status_code != 200:
                    detail = put.text[:200] if put.status_code >= 300 else ""
                    failures.append(f"{key}: {put.status_code}/{got.status_code} {detail}")
                elif hashlib.sha256(got.content).digest() != hashlib.sha256(data).digest():
                    failures.append(f"{key}: bytes differ")

            await asyncio.gather(*(round_trip(i) for i in range(1000)))
        return failures

    failures = asyncio.run(run())
    ledger.add("load", 2000, len(failures))
    assert failures == []


class FlakyThenHanging(http.server.BaseHTTPRequestHandler):
    """First request: 503. Later ones: headers never come (a hung upstream)."""

    calls = 0
    release = threading.Event()

    def do_GET(self) -> None:
        type(self).calls += 1
        if type(self).calls == 1:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        type(self).release.wait(10)

    def log_message(self, *args: object) -> None:
        return None


def test_upstream_503_then_hang_fails_within_budget_while_service_answers(
    project: Path, tmp_path: Path, ledger: Ledger
) -> None:
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FlakyThenHanging)
    upstream.daemon_threads = True
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    settings = {
        "MY_SERVICE_DOWNLOAD__ALLOWED_NETWORKS": '["127.0.0.1/32"]',
        "MY_SERVICE_DOWNLOAD__READ_TIMEOUT": "1.0",
        "MY_SERVICE_DOWNLOAD__MAX_ATTEMPTS": "2",
        "MY_SERVICE_DOWNLOAD__BACKOFF_BASE": "0.1",
        "MY_SERVICE_DOWNLOAD__BACKOFF_MAX": "0.2",
    }
    try:
        with ledger.case("faults"), running_service(project, tmp_path, settings) as service:
            latencies: list[float] = []
            stop = threading.Event()

            def probe() -> None:
                while not stop.is_set():
                    started = time.monotonic()
                    assert httpx.get(f"{service.url}/health", timeout=5).status_code == 200
                    latencies.append(time.monotonic() - started)
                    time.sleep(0.05)

            prober = threading.Thread(target=probe)
            prober.start()
            started = time.monotonic()
            url = f"http://127.0.0.1:{upstream.server_address[1]}/file.bin"
            response = httpx.post(
                f"{service.url}{OBJECTS}/import",
                json={"url": url, "key": "from-upstream"},
                headers=service.auth,
                timeout=30,
            )
            elapsed = time.monotonic() - started
            stop.set()
            prober.join()
            # Budget: two attempts of 1 s read timeout plus at most 0.2 s backoff.
            assert elapsed < 2 * 1.0 + 0.2 + 1.5, f"{elapsed:.2f}s"
            assert response.status_code >= 500 or response.status_code == 504
            assert is_envelope(response)
            assert FlakyThenHanging.calls == 2, "one retry after the 503, then the timeout"
            assert latencies, "the health probe ran"
            # The import hangs for seconds; /health must not (slack for a loaded CI machine).
            assert len(latencies) >= 5
            assert max(latencies) < 1.5, "the service kept answering meanwhile"
    finally:
        FlakyThenHanging.release.set()  # the hung handler thread ends now, not 10 s later
        upstream.shutdown()
        upstream.server_close()  # the listening socket; shutdown() only stops the loop
