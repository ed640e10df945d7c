"""The example TodoClient: typed methods over BaseClient, against the real upstream server."""

import pytest

from {{ cookiecutter.package_name }}.clients import HTTPStatusError
from {{ cookiecutter.package_name }}.clients.example import NewTodo, Todo, TodoClient
from {{ cookiecutter.package_name }}.features.http_client import HttpClientSettings

from .conftest import FAST_RETRY, Upstream


async def test_typed_round_trip(upstream: Upstream) -> None:
    async with TodoClient(upstream.base_url, retry=FAST_RETRY) as todos:
        assert await todos.get_todo(1) == Todo(id=1, title="write tests", completed=True)
        created = await todos.create_todo(NewTodo(title="ship it"))
        assert created == Todo(id=2, title="ship it", completed=False)
        assert [t.id for t in await todos.list_todos(completed=False)] == [2]
        await todos.delete_todo(2)
        with pytest.raises(HTTPStatusError) as caught:
            await todos.get_todo(2)
    assert caught.value.status == 404


async def test_client_from_settings(upstream: Upstream) -> None:
    settings = HttpClientSettings(max_attempts=1, total_timeout=2.0)
    async with TodoClient.from_settings(upstream.base_url, settings) as todos:
        assert todos.retry_policy.attempts == 1
        assert todos.timeout.total == 2.0
        assert (await todos.get_todo(1)).title == "write tests"
