"""An example upstream client: the pattern to copy for each API this service calls.

It talks to a JSON "todos" API (shaped like jsonplaceholder.typicode.com). Typed methods
wrap BaseClient's helpers, so callers get models and our errors, never raw aiohttp.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .base import BaseClient


class Todo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    title: str
    completed: bool = False


class NewTodo(BaseModel):
    title: str
    completed: bool = False


class TodoClient(BaseClient):
    async def get_todo(self, todo_id: int) -> Todo:
        return await self.get_json(f"todos/{todo_id}", model=Todo)

    async def list_todos(self, *, completed: bool | None = None) -> list[Todo]:
        params = None if completed is None else {"completed": str(completed).lower()}
        return await self.get_json("todos", model=list[Todo], params=params)

    async def create_todo(self, todo: NewTodo) -> Todo:
        # POST is not idempotent, so BaseClient does not retry it.
        return await self.post_json("todos", todo.model_dump(), model=Todo)

    async def delete_todo(self, todo_id: int) -> None:
        await self.delete(f"todos/{todo_id}")


__all__ = ["NewTodo", "Todo", "TodoClient"]
