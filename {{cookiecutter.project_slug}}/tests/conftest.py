"""Fixtures shared by every test: a clean environment and an event-loop watchdog.
{%- if cookiecutter.with_s3 %}

With S3: an isolated AWS environment and moto's S3 server on a free loopback port, so the
client speaks real HTTP and the real S3 protocol (no in-process patching).
"""

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aioboto3
import pytest
from types_aiobotocore_s3 import S3Client as BotoS3Client

from {{ cookiecutter.package_name }}.config import ENV_PREFIX
from {{ cookiecutter.package_name }}.features.s3 import S3Settings
from {{ cookiecutter.package_name }}.storage.s3_client import create_boto_session
{%- else %}"""

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import ENV_PREFIX
{%- endif %}

# A single callback holding the loop longer than this fails the test: something blocked.
# 2.5 s, not less: on a loaded CI machine legitimate startup work was seen at 0.57 s
# (aiobotocore builds its client on the loop) and 1.22 s (a feature's first import of its
# database driver, compiled in a fresh venv, inside the lifespan).
SLOW_CALLBACK_SECONDS = 2.5


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings come only from what a test sets, never from the developer's shell.

    The working directory is the test's own, so relative paths in settings (such as a
    storage root) never write into the project.
    """
    for name in list(os.environ):
        # OTEL_* and SENTRY_* too: an exporter endpoint or DSN in the shell would turn on
        # tracing or error reports in every test.
        if name.startswith((ENV_PREFIX, "OTEL_", "SENTRY_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


class _SlowCallbackRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Executing ") and " took " in message:
            self.messages.append(message)


@pytest.fixture(autouse=True)
async def event_loop_watchdog() -> AsyncIterator[None]:
    """Fail the test when a callback blocks the event loop (asyncio debug mode reports it)."""
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = SLOW_CALLBACK_SECONDS
    recorder = _SlowCallbackRecorder()
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.addHandler(recorder)
    try:
        yield
    finally:
        asyncio_logger.removeHandler(recorder)
    if recorder.messages:
        pytest.fail("event loop blocked: " + "; ".join(recorder.messages), pytrace=False)
{%- if cookiecutter.with_s3 %}


# botocore must not read the developer's ~/.aws files: point it at paths that do not exist.
NO_AWS_FILE = "/nonexistent/aws-config"
TEST_REGION = "us-east-1"


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, no profile, no config files, no instance metadata: AWS is unreachable."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", TEST_REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", NO_AWS_FILE)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", NO_AWS_FILE)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3 server in a thread on 127.0.0.1 and a free port, for the session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def boto_session() -> aioboto3.Session:
    """One session for the run, so botocore parses its models once rather than in every test."""
    return create_boto_session()


@pytest.fixture
async def raw_s3(s3_endpoint: str, boto_session: aioboto3.Session) -> AsyncIterator[BotoS3Client]:
    """A plain aiobotocore client, to set up buckets and to check what S3 really holds."""
    async with boto_session.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=TEST_REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ) as client:
        yield client


@pytest.fixture
async def s3_settings(s3_endpoint: str, raw_s3: BotoS3Client) -> S3Settings:
    """Settings for a new, empty bucket on the moto server (one per test, so tests never meet)."""
    bucket = f"test-{uuid.uuid4().hex}"
    await raw_s3.create_bucket(Bucket=bucket)
    return S3Settings(
        enabled=True,
        bucket=bucket,
        endpoint_url=s3_endpoint,
        region=TEST_REGION,
        addressing_style="path",
        access_key_id="testing",
        secret_access_key="testing",
        max_attempts=1,
    )
{%- endif %}
