"""BaseClient against a real aiohttp server: decoding, errors, retries, timeouts, sessions."""

import asyncio
import hashlib
import logging
import time
from typing import assert_type

import aiohttp
import pytest
from pydantic import BaseModel
from yarl import URL

from {{ cookiecutter.package_name }}.clients import (
    BaseClient,
    ClientConnectionError,
    ClientTimeoutError,
    HTTPStatusError,
    RedirectError,
    ResponseDecodeError,
    RetryPolicy,
    UnsafeURLError,
)
from {{ cookiecutter.package_name }}.context import request_id_var
from {{ cookiecutter.package_name }}.features.http_client import HttpClientSettings

from .conftest import FAST_RETRY, Upstream

OUR_LOGGERS = "{{ cookiecutter.package_name }}."


class TodoModel(BaseModel):
    id: int
    title: str
    completed: bool


def client_for(upstream: Upstream, **kwargs: object) -> BaseClient:
    kwargs.setdefault("retry", FAST_RETRY)
    return BaseClient(upstream.base_url, **kwargs)  # type: ignore[arg-type]


async def test_get_json_decodes_plain_json(upstream: Upstream) -> None:
    async with client_for(upstream) as client:
        data = await client.get_json("todos/1")
    assert data == {"id": 1, "title": "write tests", "completed": True}


async def test_get_json_validates_into_a_model(upstream: Upstream) -> None:
    async with client_for(upstream) as client:
        todo = await client.get_json("todos/1", model=TodoModel)
        todos = await client.get_json("todos", model=list[TodoModel])
    assert todo == TodoModel(id=1, title="write tests", completed=True)
    assert todos == [todo]


async def test_unexpected_body_raises_decode_error(upstream: Upstream) -> None:
    async with client_for(upstream) as client:
        with pytest.raises(ResponseDecodeError):
            await client.get_json("not-json")
        with pytest.raises(ResponseDecodeError):
            await client.get_json("echo/x", model=TodoModel)


async def test_status_error_carries_method_url_status_and_excerpt(upstream: Upstream) -> None:
    async with client_for(upstream) as client:
        with pytest.raises(HTTPStatusError) as caught:
            await client.get_json("status/418")
    error = caught.value
    assert error.status == 418
    assert error.method == "GET"
    assert error.url.endswith("/api/status/418")
    assert error.body_excerpt == "x" * 1024, "the body is cut to an excerpt"
    assert upstream.calls["/api/status/418"] == 1, "4xx is never retried"


async def test_refused_connection_maps_to_connection_error(closed_port: int) -> None:
    async with BaseClient(f"http://127.0.0.1:{closed_port}/", retry=FAST_RETRY) as client:
        with pytest.raises(ClientConnectionError) as caught:
            await client.get_json("anything")
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectionError)


async def test_503_503_200_succeeds_on_the_third_attempt(upstream: Upstream) -> None:
    async with client_for(upstream) as client:
        assert await client.get_json("flaky") == {"ok": True}
    assert upstream.calls["/api/flaky"] == 3


async def test_retries_are_bounded(upstream: Upstream) -> None:
    async with client_for(upstream) as client:
        with pytest.raises(HTTPStatusError) as caught:
            await client.get_json("down")
    assert caught.value.status == 503
    assert caught.value.body_excerpt == "down for maintenance"
    assert upstream.calls["/api/down"] == FAST_RETRY.attempts


async def test_retry_after_is_honoured(upstream: Upstream) -> None:
    async with client_for(upstream) as client:
        assert await client.get_json("retry-after") == {"ok": True}
    first, second = upstream.call_times
    assert second - first >= 0.95, "waited for Retry-After: 1, not the short backoff"


async def test_retry_after_beyond_the_limit_fails_at_once(upstream: Upstream) -> None:
    policy = RetryPolicy(attempts=3, backoff_base=0.01, max_retry_after=0.5)
    async with client_for(upstream, retry=policy) as client:
        with pytest.raises(HTTPStatusError) as caught:
            await client.get_json("retry-after")
    assert caught.value.retry_after == 1.0
    assert upstream.calls["/api/retry-after"] == 1


async def test_post_is_not_retried(upstream: Upstream) -> None:
    async with client_for(upstream) as client:
        with pytest.raises(HTTPStatusError):
            await client.post_json("down", {"x": 1})
    assert upstream.calls["/api/down"] == 1


async def test_post_is_retried_when_the_caller_opts_in(upstream: Upstream) -> None:
    async with client_for(upstream) as client:
        with pytest.raises(HTTPStatusError):
            await client.post_json("down", {"x": 1}, retry=True)
    assert upstream.calls["/api/down"] == FAST_RETRY.attempts


async def test_total_timeout_is_one_deadline_across_attempts(upstream: Upstream) -> None:
    """`total` bounds the whole call: attempts and backoff together, not each attempt."""
    # The first attempt times out after 1 s; the second gets the 0.5 s left (long enough to
    # reach the upstream on a loaded machine), and no third one starts.
    timeout = aiohttp.ClientTimeout(total=1.5, sock_read=1.0)
    policy = RetryPolicy(attempts=3, backoff_base=0.01, backoff_max=0.05)
    started = time.monotonic()
    async with client_for(upstream, timeout=timeout, retry=policy) as client:
        with pytest.raises(ClientTimeoutError):
            await client.get_json("hang")
    elapsed = time.monotonic() - started
    # Per-attempt budgets would take 3 x 1 s plus backoff; the slack is for a loaded machine.
    assert elapsed < 1.5 + 0.5, f"took {elapsed:.2f}s for a 1.5 s budget"
    assert upstream.calls["/api/hang"] == 2, "the second attempt got what was left"


async def test_no_retry_sleeps_past_the_deadline(upstream: Upstream) -> None:
    """A Retry-After longer than the budget left raises the upstream's error at once."""
    timeout = aiohttp.ClientTimeout(total=0.5)
    started = time.monotonic()
    async with client_for(upstream, timeout=timeout) as client:
        with pytest.raises(HTTPStatusError) as caught:
            await client.get_json("retry-after")
    assert caught.value.status == 503
    assert time.monotonic() - started < 0.5
    assert upstream.calls["/api/retry-after"] == 1


async def test_redirect_below_the_base_url_is_followed(upstream: Upstream) -> None:
    async with client_for(upstream, headers={"X-API-Key": "key-123"}) as client:
        to = {"to": f"{upstream.base_url}todos/1"}
        todo = await client.get_json("redirect", params=to, model=TodoModel)
    assert todo.id == 1
    assert upstream.seen_headers[-1]["X-API-Key"] == "key-123", "same origin: headers go along"


async def test_post_redirected_with_302_continues_as_a_get(upstream: Upstream) -> None:
    """What browsers and aiohttp do: the body is not sent again to the new location."""
    to = {"to": f"{upstream.base_url}todos/1"}
    async with client_for(upstream) as client:
        response = await client.request("POST", "redirect", params=to, json={"x": 1})
    assert response.status == 200
    assert response.url.endswith("/api/todos/1")
    assert upstream.calls["/api/todos/1"] == 1


async def test_cross_origin_redirect_is_refused_and_headers_stay_home(
    upstream: Upstream, elsewhere: Upstream
) -> None:
    """aiohttp alone would follow it and send X-API-Key there (it strips only Authorization)."""
    target = f"{elsewhere.base_url}todos/1"
    async with client_for(upstream, headers={"X-API-Key": "key-123"}) as client:
        with pytest.raises(RedirectError, match="leaves the base URL") as caught:
            await client.get_json("redirect", params={"to": target})
    assert caught.value.location == target
    assert not elsewhere.calls, "the other origin was never contacted"


async def test_redirect_above_the_base_path_is_refused(upstream: Upstream) -> None:
    async with client_for(upstream) as client:
        with pytest.raises(RedirectError, match="leaves the base URL"):
            await client.get_json("redirect", params={"to": "/admin"})


async def test_redirect_loops_are_bounded(upstream: Upstream) -> None:
    async with client_for(upstream, max_redirects=2) as client:
        with pytest.raises(RedirectError, match="more than 2 redirects"):
            await client.get_json("redirect")
    assert upstream.calls["/api/redirect"] == 3, "not retried either"


async def test_request_id_is_propagated(upstream: Upstream) -> None:
    token = request_id_var.set("req-from-server")
    try:
        async with client_for(upstream) as client:
            await client.get_json("echo/x")
    finally:
        request_id_var.reset(token)
    assert upstream.seen_headers[-1]["X-Request-ID"] == "req-from-server"


async def test_credential_headers_are_redacted_in_logs(
    upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"Authorization": "Bearer top-secret", "X-Api-Key": "key-123", "Accept": "a/b"}
    async with BaseClient(upstream.base_url, headers=headers, retry=FAST_RETRY) as client:
        with caplog.at_level(logging.DEBUG), pytest.raises(HTTPStatusError) as caught:
            await client.get_json("status/500", params={"access_token": "tok-9"})
    # Only our own records: the test server's access log is not the client's business.
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(OUR_LOGGERS)]
    logged = "\n".join(ours) + str(caught.value)
    for secret in ("top-secret", "key-123", "tok-9"):
        assert secret not in logged, secret
    assert "access_token=%5Bredacted%5D" in logged
    assert "'Accept': 'a/b'" in logged, "ordinary headers are still logged"
    assert upstream.seen_headers[-1]["Authorization"] == "Bearer top-secret", "sent unmasked"


async def test_url_credentials_are_stripped_from_errors(upstream: Upstream) -> None:
    base = upstream.base_url.replace("http://", "http://alice:hunter2@")
    async with BaseClient(base, retry=FAST_RETRY) as client:
        with pytest.raises(HTTPStatusError) as caught:
            await client.get_json("status/500")
    assert "hunter2" not in str(caught.value)
    assert "alice" not in caught.value.url
    assert upstream.seen_headers[-1]["Authorization"].startswith("Basic "), "still sent"


async def test_stream_yields_bounded_chunks(upstream: Upstream) -> None:
    size = 1_000_003
    digest = hashlib.sha256()
    received = 0
    async with client_for(upstream) as client:
        async for chunk in client.iter_bytes("data", params={"size": str(size)}, chunk_size=65536):
            assert 0 < len(chunk) <= 65536
            digest.update(chunk)
            received += len(chunk)
    expected = hashlib.sha256()
    for offset in range(0, size, 100_000):
        expected.update(bytes([offset % 251]) * min(100_000, size - offset))
    assert received == size
    assert digest.hexdigest() == expected.hexdigest()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("todos/1", "/api/todos/1"),
        ("/todos/1", "/api/todos/1"),
        ("todos//1", "/api/todos/1"),
        ("echo/a%20b", "/api/echo/a%20b"),
    ],
)
def test_paths_join_below_the_base(path: str, expected: str) -> None:
    client = BaseClient("http://upstream.test/api")
    assert client.url_for(path).raw_path == expected


@pytest.mark.parametrize("base", ["http://up.test/api/", "http://u:p@up.test:81/a%20b/?k=1#f"])
@pytest.mark.parametrize("path", ["todos", "todos/1", "todos/1/", "a-b_c~d/e", "todos/1?x=2"])
def test_plain_paths_join_like_rfc_3986(base: str, path: str) -> None:
    """The fast path for plain paths gives what a full RFC 3986 join gives."""
    client = BaseClient(base)
    assert client.url_for(path) == client.base_url.join(URL(path))


@pytest.mark.parametrize(
    "path",
    ["../admin", "todos/../../admin", "%2e%2e/admin", "a/%2E%2E/b", "./x", "javascript:alert(1)"],
)
def test_paths_cannot_escape_the_base(path: str) -> None:
    client = BaseClient("http://upstream.test/api/")
    with pytest.raises(UnsafeURLError):
        client.url_for(path)


def test_absolute_urls_need_explicit_permission() -> None:
    with pytest.raises(UnsafeURLError):
        BaseClient("http://upstream.test/api/").url_for("http://elsewhere.test/x")
    permissive = BaseClient("http://upstream.test/api/", allow_absolute_urls=True)
    assert str(permissive.url_for("https://elsewhere.test/x")) == "https://elsewhere.test/x"
    with pytest.raises(UnsafeURLError):
        permissive.url_for("ftp://elsewhere.test/x")


@pytest.mark.parametrize("base", ["upstream.test/api", "ftp://upstream.test/", "/relative"])
def test_base_url_must_be_absolute_http(base: str) -> None:
    with pytest.raises(UnsafeURLError):
        BaseClient(base)


async def test_owned_session_is_closed_by_async_with(upstream: Upstream) -> None:
    client = client_for(upstream)
    async with client:
        await client.get_json("todos/1")
        while_open = client.has_open_session
    after_exit = client.has_open_session
    assert (while_open, after_exit) == (True, False)
    await client.close()  # closing twice is fine


async def test_owned_session_is_built_from_the_settings(upstream: Upstream) -> None:
    """The same session factory as the lifespan's: User-Agent and pool limits apply."""
    settings = HttpClientSettings(user_agent="billing-bot/1", pool_size=7, pool_size_per_host=3)
    async with BaseClient.from_settings(upstream.base_url, settings) as client:
        await client.get_json("echo/x")
        session = client._lifecycle.current
        connector = session.connector if session else None
        assert connector is not None
        assert (connector.limit, connector.limit_per_host) == (7, 3)
    assert upstream.seen_headers[-1]["User-Agent"] == "billing-bot/1"


async def test_stream_readers_get_our_errors(upstream: Upstream) -> None:
    """A read timeout while the caller reads `response.content` is a ClientTimeoutError."""
    timeout = aiohttp.ClientTimeout(total=5, sock_read=0.2)
    async with client_for(upstream, timeout=timeout) as client:
        with pytest.raises(ClientTimeoutError):
            async with client.stream("GET", "stall") as response:
                await response.content.read()


async def test_json_helpers_return_the_model_type(upstream: Upstream) -> None:
    """The `model=` overloads give typed results (checked by mypy through assert_type)."""
    body = {"title": "typed", "completed": False}
    async with client_for(upstream) as client:
        created = assert_type(await client.post_json("todos", body, model=TodoModel), TodoModel)
    assert created.title == "typed"


async def test_borrowed_session_is_left_open(upstream: Upstream) -> None:
    async with aiohttp.ClientSession() as shared:
        async with BaseClient(upstream.base_url, session=shared) as client:
            await client.get_json("todos/1")
        assert not shared.closed, "the lifespan, not the client, closes a shared session"


def test_a_closed_client_is_not_reopened_by_the_next_event_loop(upstream_in_thread: str) -> None:
    """One client per loop: `asyncio.run` twice needs two clients (the second run says why)."""
    client = BaseClient(upstream_in_thread, retry=FAST_RETRY)

    async def use() -> object:
        async with client:
            return await client.get_json("todos/1")

    assert asyncio.run(use()) == {"id": 1, "title": "write tests", "completed": True}
    with pytest.raises(RuntimeError, match="BaseClient is closed; create a new one"):
        asyncio.run(use())
    assert not client.has_open_session


def test_session_is_never_reused_from_another_loop(upstream_in_thread: str) -> None:
    client = BaseClient(upstream_in_thread, retry=FAST_RETRY)
    first_loop = asyncio.new_event_loop()
    try:
        first_loop.run_until_complete(client.get_json("todos/1"))
        with pytest.raises(RuntimeError, match="another event loop"):
            asyncio.run(client.get_json("todos/1"))
        first_loop.run_until_complete(client.aclose())
    finally:
        first_loop.close()

    async def fetch_with_a_new_client() -> object:
        async with BaseClient(upstream_in_thread, retry=FAST_RETRY) as fresh:
            return await fresh.get_json("todos/1")

    expected = {"id": 1, "title": "write tests", "completed": True}
    assert asyncio.run(fetch_with_a_new_client()) == expected


def test_a_borrowed_session_from_another_loop_fails_clearly(upstream_in_thread: str) -> None:
    """Our message, not aiohttp's "Timeout context manager should be used inside a task"."""
    other_loop = asyncio.new_event_loop()
    session = other_loop.run_until_complete(_new_session())
    try:
        client = BaseClient(upstream_in_thread, session=session, retry=FAST_RETRY)
        with pytest.raises(RuntimeError, match="belongs to another event loop"):
            asyncio.run(client.get_json("todos/1"))
    finally:
        other_loop.run_until_complete(session.close())
        other_loop.close()


def test_a_borrowed_session_from_an_ended_loop_fails_clearly(upstream_in_thread: str) -> None:
    session = asyncio.run(_new_session())
    try:
        client = BaseClient(upstream_in_thread, session=session, retry=FAST_RETRY)
        with pytest.raises(RuntimeError, match="belongs to another event loop"):
            asyncio.run(client.get_json("todos/1"))
    finally:
        session.detach()  # it has no connections; its loop cannot close it any more


def test_an_owned_session_is_closed_in_the_loop_that_opened_it(upstream_in_thread: str) -> None:
    """Closing from another live loop would tear sockets out from under that loop."""
    client = BaseClient(upstream_in_thread, retry=FAST_RETRY)
    first_loop = asyncio.new_event_loop()
    try:
        first_loop.run_until_complete(client.get_json("todos/1"))
        with pytest.raises(RuntimeError, match="in the event loop that opened it"):
            asyncio.run(client.aclose())
        assert client.has_open_session, "still usable where it belongs"
        first_loop.run_until_complete(client.aclose())
    finally:
        first_loop.close()
    assert not client.has_open_session


async def test_a_closed_client_refuses_requests_and_reentry(upstream: Upstream) -> None:
    """Like httpx: closed is final, so no session is reopened behind the caller's back."""
    client = client_for(upstream)
    async with client:
        await client.get_json("todos/1")
    await client.aclose()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        await client.get_json("todos/1")
    with pytest.raises(RuntimeError, match="closed"):
        async with client:
            pass
    assert upstream.calls["/api/todos/1"] == 1


async def test_state_is_visible_in_the_repr(upstream: Upstream) -> None:
    base = upstream.base_url.replace("http://", "http://alice:hunter2@")
    client = BaseClient(base, retry=FAST_RETRY)
    assert "state=unopened" in repr(client)
    async with client:
        assert "state=open" in repr(client)
    assert "state=closed" in repr(client)
    assert "hunter2" not in repr(client)


async def test_a_borrowed_session_is_never_closed_or_owned(upstream: Upstream) -> None:
    """Even unentered (the lifespan's way): the first request opens the client."""
    async with aiohttp.ClientSession() as shared:
        client = BaseClient(upstream.base_url, session=shared, retry=FAST_RETRY)
        await client.get_json("todos/1")
        assert not client.has_open_session, "borrowed sessions are not the client's"
        await client.aclose()
        assert not shared.closed


async def _new_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()
