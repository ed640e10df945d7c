"""Job callbacks against a real aiohttp receiver that verifies them with standardwebhooks."""

import asyncio
import ipaddress
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr
from standardwebhooks import Webhook, WebhookVerificationError

from {{ cookiecutter.package_name }}.clients.address_policy import AddressPolicy
from {{ cookiecutter.package_name }}.jobs.callbacks import (
    MAX_CALLBACK_URL_LENGTH,
    CallbackSender,
    CallbackURLError,
    callback_policy,
    check_callback_url,
    create_callback_session,
    deliver,
    signed_headers,
)
from {{ cookiecutter.package_name }}.jobs.models import CallbackAttempt, JobRecord, JobStatus
from {{ cookiecutter.package_name }}.jobs.verify import new_webhook_secret

from ..ports import unused_port

# The receiver listens on 127.0.0.1: allow exactly that address, nothing else private.
LOOPBACK_ONLY = callback_policy(networks=(ipaddress.ip_network("127.0.0.1/32"),))
SECRET = new_webhook_secret()
# Short waits so retry tests stay fast; the schedule is the same at any scale.
FAST = {"attempts": 4, "backoff": 0.05, "timeout": 2.0}
SLOW_SECONDS = 1.0


@dataclass
class Receiver:
    """What the receiver saw; `script` says how to answer the next requests ("ok" after it)."""

    secret: str = SECRET
    url: str = ""
    script: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    payloads: list[object] = field(default_factory=list)
    rejected: int = 0


def receiver_app(receiver: Receiver) -> web.Application:
    async def hook(request: web.Request) -> web.Response:
        action = receiver.script.pop(0) if receiver.script else "ok"
        body = await request.read()
        receiver.headers.append(dict(request.headers))
        if action == "slow":
            await asyncio.sleep(SLOW_SECONDS)
        if action == "busy":
            return web.Response(status=503)
        try:
            payload = Webhook(receiver.secret).verify(body, dict(request.headers))
        except WebhookVerificationError:
            receiver.rejected += 1
            return web.Response(status=401)
        receiver.payloads.append(payload)
        return web.Response(status=204)

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(request.query["to"])

    app = web.Application()
    app.router.add_post("/hook", hook)
    app.router.add_post("/redirect", redirect)
    return app


async def start_receiver(receiver: Receiver, port: int | None = None) -> TestServer:
    server = TestServer(receiver_app(receiver), host="127.0.0.1", port=port)
    await server.start_server()
    receiver.url = str(server.make_url("/hook"))
    return server


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    server = await start_receiver(state)
    try:
        yield state
    finally:
        await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with create_callback_session(LOOPBACK_ONLY) as guarded:
        yield guarded


class Attempts:
    """Stands in for the job store's `add_callback_attempt`: keeps what deliver records."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, CallbackAttempt]] = []
        self._added = asyncio.Condition()

    async def __call__(self, job_id: str, attempt: CallbackAttempt) -> None:
        async with self._added:
            self.seen.append((job_id, attempt))
            self._added.notify_all()

    @property
    def attempts(self) -> list[CallbackAttempt]:
        return [attempt for _, attempt in self.seen]

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(10), self._added:
            await self._added.wait_for(lambda: len(self.seen) >= count)


def finished_job(callback_url: str) -> JobRecord:
    now = datetime.now(UTC)
    return JobRecord(
        id=uuid.uuid4().hex,
        kind="demo",
        status=JobStatus.succeeded,
        created_at=now,
        started_at=now,
        finished_at=now,
        progress=1.0,
        input={"n": 1},
        result={"answer": 42},
        attempts=1,
        callback_url=callback_url,
    )


async def send(
    job: JobRecord,
    session: aiohttp.ClientSession,
    recorder: Attempts,
    *,
    secret: str = SECRET,
    policy: AddressPolicy = LOOPBACK_ONLY,
    **limits: float,
) -> bool:
    options = {**FAST, **limits}
    return await deliver(
        job,
        secret=SecretStr(secret),
        session=session,
        policy=policy,
        record_attempt=recorder,
        attempts=int(options["attempts"]),
        backoff=options["backoff"],
        attempt_timeout=options["timeout"],
    )


async def test_the_receiver_verifies_the_finished_record(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    job, attempts = finished_job(receiver.url), Attempts()
    assert await send(job, session, attempts)
    assert receiver.payloads == [json.loads(job.model_dump_json())], "the record, verified"
    assert receiver.headers[0]["webhook-id"] == f"job_{job.id}"
    [(job_id, attempt)] = attempts.seen
    assert job_id == job.id
    assert (attempt.status, attempt.error) == (204, None)
    assert attempt.duration_ms >= 0


async def test_retries_keep_the_webhook_id_so_receivers_can_dedupe(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    receiver.script = ["busy", "busy"]
    job, attempts = finished_job(receiver.url), Attempts()
    assert await send(job, session, attempts)
    assert [a.status for a in attempts.attempts] == [503, 503, 204]
    assert {h["webhook-id"] for h in receiver.headers} == {f"job_{job.id}"}
    assert len(receiver.payloads) == 1


async def test_a_bad_signature_is_rejected_and_recorded(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    job, attempts = finished_job(receiver.url), Attempts()
    assert not await send(job, session, attempts, secret=new_webhook_secret(), attempts=2)
    assert receiver.rejected == 2
    assert receiver.payloads == []
    assert [a.status for a in attempts.attempts] == [401, 401]
    assert all(a.error and "401" in a.error for a in attempts.attempts)


async def test_a_replayed_delivery_with_a_stale_timestamp_is_rejected(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    """A genuine signature from ten minutes ago: captured on the way and sent again."""
    job = finished_job(receiver.url)
    body = job.model_dump_json().encode()
    stale = datetime.now(UTC) - timedelta(minutes=10)
    headers = signed_headers(Webhook(SECRET), f"job_{job.id}", body, stale)
    async with session.post(receiver.url, data=body, headers=headers) as response:
        assert response.status == 401
    fresh = signed_headers(Webhook(SECRET), f"job_{job.id}", body, datetime.now(UTC))
    async with session.post(receiver.url, data=body, headers=fresh) as response:
        assert response.status == 204, "the same delivery signed now is accepted"
    assert receiver.rejected == 1


async def test_a_receiver_that_is_down_then_up_gets_a_later_attempt(
    session: aiohttp.ClientSession,
) -> None:
    receiver = Receiver()
    port = unused_port()
    job, attempts = finished_job(f"http://127.0.0.1:{port}/hook"), Attempts()
    delivery = asyncio.create_task(send(job, session, attempts, attempts=8, backoff=0.2))
    await attempts.wait_for(1)  # refused: nothing listens yet
    server = await start_receiver(receiver, port)
    try:
        assert await delivery
    finally:
        await server.close()
    first, last = attempts.attempts[0], attempts.attempts[-1]
    assert first.status is None
    assert first.error is not None
    assert "connection failed" in first.error
    assert (last.status, last.error) == (204, None)
    assert len(receiver.payloads) == 1


async def test_a_receiver_slower_than_the_timeout_is_recorded_and_retried(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    receiver.script = ["slow"]
    job, attempts = finished_job(receiver.url), Attempts()
    assert await send(job, session, attempts, timeout=0.3)
    timed_out, delivered = attempts.attempts
    assert timed_out.status is None
    assert timed_out.error == "timeout: no answer within 0.3s"
    assert 250 <= timed_out.duration_ms < SLOW_SECONDS * 1000
    assert delivered.status == 204


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://example.com/" + "a" * MAX_CALLBACK_URL_LENGTH, "longer than"),
        ("ftp://example.com/hook", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("/relative/hook", "http:// or https://"),
        ("https://user:password@example.com/hook", "credentials"),
        ("https://example.com/a b", "whitespace"),
        ("https://example.com/\r\nX-Injected: 1", "whitespace"),
        ("http://10.0.0.1/hook", "address not allowed: 10.0.0.1"),
        ("http://169.254.169.254/latest/meta-data", "address not allowed"),
        ("http://[::1]:8080/hook", "address not allowed: ::1"),
        ("http://[::ffff:10.0.0.1]/hook", "address not allowed"),
        ("http://2130706433/hook", "address not allowed: 127.0.0.1"),
        ("http://0x7f.1/hook", "address not allowed: 127.0.0.1"),
        ("http://127.1/hook", "address not allowed: 127.0.0.1"),
        ("http://999.1.1.1/hook", "neither a name nor an IPv4 address"),
    ],
)
def test_hostile_callback_urls_are_refused_at_submit(url: str, reason: str) -> None:
    with pytest.raises(CallbackURLError, match=reason) as refused:
        check_callback_url(url, callback_policy())
    if "address not allowed" in reason:
        assert "jobs.callback_allowed_networks" in str(refused.value), "names the setting"


def test_acceptable_callback_urls_pass() -> None:
    for url in ("https://example.com/hooks/job?token=x", "http://receiver.internal:8080/"):
        assert str(check_callback_url(url, callback_policy())) == url
    assert check_callback_url("http://127.0.0.1:9/h", LOOPBACK_ONLY).host == "127.0.0.1"
    everything = callback_policy(allow_private=True)
    assert check_callback_url("http://10.0.0.1/h", everything).host == "10.0.0.1"


async def test_a_refused_url_is_recorded_once_and_nothing_is_sent(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    job, attempts = finished_job("http://169.254.169.254/latest"), Attempts()
    assert not await send(job, session, attempts)
    [attempt] = attempts.attempts
    assert attempt.status is None
    assert attempt.error is not None
    assert "address not allowed" in attempt.error


async def test_a_name_that_resolves_to_a_private_address_is_refused_when_sending(
    receiver: Receiver,
) -> None:
    """`localhost` passes the submit check (a name); the guarded resolver refuses it."""
    url = receiver.url.replace("127.0.0.1", "localhost")
    job, attempts = finished_job(url), Attempts()
    async with create_callback_session(callback_policy()) as guarded:
        assert not await send(job, guarded, attempts, policy=callback_policy())
    [attempt] = attempts.attempts
    assert attempt.error is not None
    assert attempt.error.startswith("refused: localhost resolves only")
    assert receiver.headers == [], "the receiver was never contacted"


@pytest.mark.parametrize("target", ["127.0.0.2", "169.254.169.254", "[::ffff:10.1.2.3]"])
async def test_a_redirect_to_a_private_address_is_refused(
    receiver: Receiver, session: aiohttp.ClientSession, target: str
) -> None:
    hidden = f"http://{target}:{receiver.url.split(':')[2]}"  # port and path of the receiver
    url = receiver.url.replace("/hook", f"/redirect?to={hidden}")
    job, attempts = finished_job(url), Attempts()
    assert not await send(job, session, attempts)
    [attempt] = attempts.attempts
    assert attempt.error is not None
    assert "address not allowed" in attempt.error, "refused, not retried"
    assert receiver.headers == [], "the internal address was never contacted"


async def test_the_sender_hook_delivers_only_jobs_with_a_callback_url(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    attempts = Attempts()
    sender = CallbackSender(
        session=session,
        secret=SecretStr(SECRET),
        policy=LOOPBACK_ONLY,
        record_attempt=attempts,
        attempts=2,
        backoff=0.05,
        timeout=2.0,
    )
    await sender(finished_job(receiver.url).model_copy(update={"callback_url": None}))
    assert attempts.seen == []
    await sender(finished_job(receiver.url))
    assert [a.status for a in attempts.attempts] == [204]
