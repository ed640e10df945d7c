"""The database: the `database` section, one AsyncEngine for the service, the `db` commands."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import Field, SecretStr, field_serializer, field_validator

from ..commands import settings_from
from ..config import Section
from ..resources import ResourceKey
from . import Feature

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from contextlib import AsyncExitStack

    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from ..resources import Resources

# The one engine (connection pool) of the running service, and its session factory.
ENGINE: ResourceKey[AsyncEngine] = ResourceKey("database_engine")
SESSIONS: ResourceKey[async_sessionmaker[AsyncSession]] = ResourceKey("database_sessions")

# The drivers the service installs: the same code and migrations run on both.
DRIVERS = ("sqlite+aiosqlite://", "postgresql+asyncpg://")

# user:PASSWORD@ (up to the last @: an unencoded @ in a password hides more, never less),
# and a password given as a query parameter.
_PASSWORD = re.compile(r"(?<=://)(?P<user>[^:/@]*):.*@(?=[^@]*$)")
_QUERY_PASSWORD = re.compile(r"(?i)(?<=[?&]password=)[^&]*")


def without_password(url: str) -> str:
    """`url` with its password replaced by ***, for `config` output and messages."""
    return _QUERY_PASSWORD.sub("***", _PASSWORD.sub(r"\g<user>:***@", url))


class DatabaseSettings(Section):
    # An SQLite file by default, so the first run needs no server. Production:
    # postgresql+asyncpg://user:password@host:5432/name. Secret: it may hold a password.
    url: SecretStr = SecretStr("sqlite+aiosqlite:///./data/{{ cookiecutter.package_name }}.db")
    # Connections kept open, and how many more a burst may open for a while.
    pool_size: int = Field(default=5, ge=1)
    max_overflow: int = Field(default=10, ge=0)
    # Seconds a request waits for a connection (from the pool, or a new one) before it fails.
    pool_timeout: float = Field(default=5.0, gt=0)
    # Seconds a statement may run before the server cancels it (PostgreSQL; 0 = no limit).
    # Not applied on SQLite, which has no such setting.
    statement_timeout: float = Field(default=30.0, ge=0)
    # Log every statement (SQLAlchemy's echo); the URL and its password are never logged.
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _known_driver(cls, value: SecretStr) -> SecretStr:
        # The message never repeats the value: it may hold a password.
        if not value.get_secret_value().startswith(DRIVERS):
            raise ValueError(f"must start with one of {', '.join(DRIVERS)}")
        return value

    @field_serializer("url", when_used="json")
    def _url_without_password(self, value: SecretStr) -> str:
        # `config` shows which database (scheme, host, name), never the password.
        return without_password(value.get_secret_value())


class DatabaseFeature(Feature):
    """Opens the engine once, publishes it with a session factory, checks it for /ready."""

    database: DatabaseSettings = DatabaseSettings()

    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        from ..db.engine import check, open_engine, session_factory

        engine = await stack.enter_async_context(open_engine(self.database))
        resources.provide(ENGINE, engine)
        resources.provide(SESSIONS, session_factory(engine))

        async def database() -> None:
            await check(engine)

        resources.readiness_checks["database"] = database

    @classmethod
    def add_commands(cls, cli: typer.Typer) -> None:
        db = typer.Typer(name="db", help="Database migrations (Alembic).", no_args_is_help=True)
        db.command()(upgrade)
        db.command()(downgrade)
        db.command()(current)
        db.command()(revision)
        cli.add_typer(db)


def _run(
    ctx: typer.Context, action: Callable[[DatabaseSettings], Coroutine[Any, Any, str | None]]
) -> str:
    """Run one migration action on the configured database; a failure exits 1 with the reason.

    The answer is a revision ("base" before the first), a description or a path.
    """
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    section = DatabaseFeature.of(settings_from(ctx)).database
    try:
        return asyncio.run(action(section)) or "base"
    except (CommandError, SQLAlchemyError, OSError) as exc:
        from ..db.engine import describe_failure

        typer.echo(f"error: {describe_failure(section, exc)}", err=True)
        raise typer.Exit(code=1) from exc


def upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    from ..db import migrate

    typer.echo(f"at {_run(ctx, lambda section: migrate.upgrade(section, revision))}")


def downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision (base: before the first)")],
) -> None:
    """Migrate the database down to REVISION."""
    from ..db import migrate

    typer.echo(f"at {_run(ctx, lambda section: migrate.downgrade(section, revision))}")


def current(ctx: typer.Context) -> None:
    """Print the database's revision, and whether it is the newest."""
    from ..db import migrate

    typer.echo(_run(ctx, migrate.describe_current))


def revision(
    ctx: typer.Context,
    message: Annotated[str, typer.Option("--message", "-m", help="What the migration does")],
    autogenerate: Annotated[
        bool, typer.Option(help="Compare the models with the database and write the difference")
    ] = False,
) -> None:
    """Write a new migration script under db/migrations/versions/."""
    from ..db import migrate

    path = _run(ctx, lambda section: migrate.revision(section, message, autogenerate=autogenerate))
    typer.echo(f"wrote {path}")


__all__ = [
    "ENGINE",
    "SESSIONS",
    "DatabaseFeature",
    "DatabaseSettings",
    "current",
    "downgrade",
    "revision",
    "upgrade",
    "without_password",
]
