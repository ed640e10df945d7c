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
    `SessionDep` ends it before the response is sent, so a failed commit is a 500, never a
    success the database did not keep.
    """
    async with resources.get(SESSIONS).begin() as session:
        yield session


# scope="function": the commit runs when the handler returns, not after the response is sent.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

__all__ = ["SessionDep", "get_session"]
