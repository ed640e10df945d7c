"""What route handlers borrow from the database: a session inside one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from ..features.database import SESSIONS
from ..server.resources import Resources, get_resources

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


async def get_session(
    resources: Annotated[Resources, Depends(get_resources)],
) -> AsyncIterator[AsyncSession]:
    """One session per request: committed when the handler returns, rolled back if it raises.

    A handler never commits itself; an exception (an HTTPException too) undoes its writes.
    """
    async with resources.get(SESSIONS).begin() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

__all__ = ["SessionDep", "get_session"]
