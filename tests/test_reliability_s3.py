"""Faults of the objects API on S3: S3 goes down mid-upload; SIGTERM with streams in flight;
a burst of concurrent uploads, which must stay within the upload buffer budget.

The service runs with the S3 storage backend against moto's S3 server (a child process from
the project's own environment). Between them sits a relay: stopping it takes S3 away (port
closed, connections reset) while moto keeps its state, so the tests can see afterwards
whether an upload was really aborted.
"""

import hashlib
import json
import os
import subprocess
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .reporting import Ledger
from .service import Relay, free_port, is_envelope, running_service

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

OBJECTS = "/api/v1/objects"
BUCKET = "reliability"
MIB = 1024 * 1024
PART = 5 * MIB  # the smallest part S3 accepts, so uploads go multipart early
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
# What the server may hold beyond s3.upload_buffer_bytes under a burst of uploads: the event
# loop's and the HTTP stacks' own buffers, allocator slack. Without a budget, 64 uploads of
# 8 MB grew it by some 570 MiB.
BURST_SLACK_MIB = 32
S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
# server.shutdown_timeout in the SIGTERM test: the GET fits in it, the trickling PUT does not.
GRACE_SECONDS = 5


@pytest.fixture(scope="module")
def project(default_project: Path) -> Path:
    return default_project


class Moto:
    """moto's S3 server, read without signatures (moto does not check them by default)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.port = int(url.rsplit(":", 1)[1])

    def _xml(self, path: str) -> ElementTree.Element:
        response = httpx.get(f"{self.url}/{BUCKET}{path}", timeout=10)
        response.raise_for_status()
        return ElementTree.fromstring(response.content)

    def pending_uploads(self) -> list[tuple[str, str]]:
        root = self._xml("?uploads")
        return [
            (upload.findtext(f"{S3_NS}Key", ""), upload.findtext(f"{S3_NS}UploadId", ""))
            for upload in root.iter(f"{S3_NS}Upload")
        ]

    def parts(self, key: str, upload_id: str) -> int:
        return len(list(self._xml(f"/{key}?uploadId={upload_id}").iter(f"{S3_NS}Part")))

    def keys(self) -> list[str]:
        return [key.text or "" for key in self._xml("").iter(f"{S3_NS}Key")]


@pytest.fixture
def moto(project: Path, tmp_path: Path) -> Iterator[Moto]:
    port = free_port()
    with (tmp_path / "moto.log").open("wb") as log:
        process = subprocess.Popen(
            [str(project / ".venv/bin/moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    moto = Moto(f"http://127.0.0.1:{port}")
    try:
        wait_until(lambda: reachable(moto.url), timeout=30, what="moto to start")
        httpx.put(f"{moto.url}/{BUCKET}", timeout=10).raise_for_status()
        yield moto
    finally:
        process.terminate()
        process.wait(timeout=10)


def reachable(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.TransportError:
        return False
    return True


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def s3_settings(endpoint: str, **extra: str) -> dict[str, str]:
    settings = {
        "MY_SERVICE_S3__ENABLED": "true",
        "MY_SERVICE_S3__BUCKET": BUCKET,
        "MY_SERVICE_S3__ENDPOINT_URL": endpoint,
        "MY_SERVICE_S3__REGION": "us-east-1",
        "MY_SERVICE_S3__ADDRESSING_STYLE": "path",
        "MY_SERVICE_S3__ACCESS_KEY_ID": "testing",
        "MY_SERVICE_S3__SECRET_ACCESS_KEY": "testing",
        "MY_SERVICE_S3__CONNECT_TIMEOUT": "1.0",
        "MY_SERVICE_S3__MAX_ATTEMPTS": "2",
        "MY_SERVICE_S3__MULTIPART_THRESHOLD": str(PART),
        "MY_SERVICE_S3__MULTIPART_PART_SIZE": str(PART),
        "MY_SERVICE_STORAGE__BACKEND": "s3",
    }
    settings.update({f"MY_SERVICE_{name.upper()}": value for name, value in extra.items()})
    return settings


def one_upload_with_parts(moto: Moto, parts: int) -> bool:
    uploads = moto.pending_uploads()
    return len(uploads) == 1 and moto.parts(*uploads[0]) >= parts


def test_s3_down_mid_multipart_then_back_leaves_nothing(
    project: Path, tmp_path: Path, moto: Moto, ledger: Ledger
) -> None:
    """The caller gets 503 in the envelope; once S3 is back the upload is aborted, no object."""
    relay = Relay(moto.port)
    relay.start()
    try:
        with (
            ledger.case("faults"),
            running_service(project, tmp_path, s3_settings(relay.url)) as service,
        ):
            assert httpx.get(f"{service.url}/ready", timeout=10).status_code == 200

            def two_parts_up() -> bool:
                return one_upload_with_parts(moto, 2)

            def body() -> Iterator[bytes]:
                for sent in range(24):
                    if sent == 2 * PART // MIB + 2:
                        # Two parts are in S3: now S3 goes down mid-upload.
                        wait_until(two_parts_up, timeout=30, what="2 parts")
                        relay.stop()
                    yield os.urandom(MIB)

            response = httpx.put(
                f"{service.url}{OBJECTS}/outage.bin",
                content=body(),
                headers=service.auth,
                timeout=60,
            )
            assert response.status_code == 503, response.text
            assert is_envelope(response)
            assert len(moto.pending_uploads()) == 1, "S3 was down: the abort could not land yet"
            assert httpx.get(f"{service.url}/ready", timeout=10).status_code == 503
            assert httpx.get(f"{service.url}/health", timeout=10).status_code == 200

            relay.start()  # S3 is back
            wait_until(lambda: moto.pending_uploads() == [], timeout=30, what="the abort")
            assert moto.keys() == [], "no partial object"
            wait_until(
                lambda: httpx.get(f"{service.url}/ready", timeout=10).status_code == 200,
                timeout=10,
                what="/ready to recover",
            )
        assert "retrying the abort of multipart upload" in service.log_text()
    finally:
        relay.stop()


def log_records(log: str) -> list[dict[str, Any]]:
    records = []
    for line in log.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def test_sigterm_with_streams_in_flight_completes_or_aborts_cleanly(
    project: Path, tmp_path: Path, moto: Moto, ledger: Ledger
) -> None:
    """A streamed GET finishes within the grace period; a PUT that outlasts it is aborted.

    Either way nothing is half-written: the GET has every byte, the PUT left no object and
    no pending upload, and shutdown closed the S3 client and the HTTP session without
    warnings.
    """
    settings = s3_settings(moto.url, server__shutdown_timeout=str(GRACE_SECONDS))
    with ledger.case("faults"), running_service(project, tmp_path, settings) as service:
        data = os.urandom(12 * MIB)
        put = httpx.put(
            f"{service.url}{OBJECTS}/whole.bin", content=data, headers=service.auth, timeout=60
        )
        assert put.status_code < 300, put.text

        reading = threading.Event()
        got = bytearray()
        outcomes: dict[str, str] = {}

        def slow_get() -> None:
            url = f"{service.url}{OBJECTS}/whole.bin"
            try:
                with httpx.stream("GET", url, headers=service.auth, timeout=30) as response:
                    for chunk in response.iter_bytes(64 * 1024):
                        got.extend(chunk)
                        reading.set()
                        time.sleep(0.002)  # a slow reader, done well within the grace period
                outcomes["get"] = "completed"
            except httpx.HTTPError as exc:
                outcomes["get"] = f"aborted: {exc!r}"

        def endless_body() -> Iterator[bytes]:
            for _ in range(2 * PART // MIB + 1):
                yield os.urandom(MIB)
            while True:  # then a trickle that outlasts the grace period
                time.sleep(0.2)
                yield os.urandom(1024)

        def trickling_put() -> None:
            try:
                response = httpx.put(
                    f"{service.url}{OBJECTS}/trickle.bin",
                    content=endless_body(),
                    headers=service.auth,
                    timeout=30,
                )
                outcomes["put"] = f"answered {response.status_code}"
            except httpx.HTTPError as exc:
                outcomes["put"] = f"aborted: {exc!r}"

        threads = [threading.Thread(target=slow_get), threading.Thread(target=trickling_put)]
        for thread in threads:
            thread.start()
        wait_until(lambda: one_upload_with_parts(moto, 2), timeout=30, what="2 parts")
        assert reading.wait(timeout=30)
        started = time.monotonic()
        code = service.stop()
        for thread in threads:
            thread.join(timeout=30)
        assert code in (0, -15)
        # Grace period, then the S3 client's wait for aborts, plus slack for a loaded machine.
        assert time.monotonic() - started < GRACE_SECONDS + 5 + 10

        assert outcomes["get"] == "completed", outcomes
        assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
        # uvicorn answers a request it cancelled with a bare 500 when it can, else drops it.
        assert outcomes["put"] == "answered 500" or outcomes["put"].startswith("aborted"), outcomes
        assert moto.pending_uploads() == [], "the cancelled upload was aborted"
        assert moto.keys() == ["whole.bin"], "no partial object"

        log = service.log_text()
        for marker in ("ResourceWarning", "Unclosed", "unclosed"):
            assert marker not in log, f"{marker} in shutdown log:\n{log[-3000:]}"
        assert "application stopping" in log
        errors = [r for r in log_records(log) if r.get("level") == "ERROR"]
        unexpected = [r for r in errors if not reports_the_cancelled_request(r)]
        assert unexpected == [], unexpected


def reports_the_cancelled_request(record: dict[str, Any]) -> bool:
    """uvicorn's ERROR lines for a request it cancelled at the end of the grace period."""
    message = str(record.get("message", ""))
    if message.startswith("Cancel ") and "graceful shutdown" in message:
        return True
    return message.startswith("Exception in ASGI application") and "CancelledError" in str(record)


@pytest.mark.parametrize(
    ("uploads", "object_bytes"),
    [(64, 8_000_000), (16, 24_000_000)],
    ids=["single-puts", "multipart"],
)
def test_burst_of_s3_uploads_stays_within_the_buffer_budget(
    project: Path, ledger: Ledger, uploads: int, object_bytes: int
) -> None:
    """Concurrent PUTs on the default S3 settings: peak RSS growth ≤ budget + slack.

    8 MB objects are single PUTs (below the 8 MiB threshold), 24 MB ones go up in parts. The
    service's own defaults are measured (the budget is read from them); the benchmark script
    drives a real server process against moto and reads its VmHWM from /proc.
    """
    with ledger.case("load"):
        result = subprocess.run(
            [
                str(project / ".venv/bin/python"),
                str(BENCHMARKS / "s3_upload_memory.py"),
                "my_service",
                "--uploads",
                str(uploads),
                "--object-bytes",
                str(object_bytes),
            ],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        lines = (line.split(": ") for line in result.stdout.splitlines() if ": " in line)
        metrics = {name: float(value) for name, value in lines}
        assert metrics["s3_upload_memory_uploads"] == uploads
        growth = metrics["s3_upload_memory_rss_growth_mib"]
        limit = metrics["s3_upload_memory_budget_mib"] + BURST_SLACK_MIB
        assert growth <= limit, f"peak RSS grew {growth:.0f} MiB under the burst; limit {limit:.0f}"
