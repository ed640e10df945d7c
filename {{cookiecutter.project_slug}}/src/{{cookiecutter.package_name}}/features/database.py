"""The database: the `database` section, one AsyncEngine for the service, the `db` commands."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
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
    # Seconds a request waits for a connection (from the pool, or a new one: it also bounds
    # connecting, and SQLite's wait for a lock) before it fails with 503.
    pool_timeout: float = Field(default=5.0, gt=0)
    # Seconds a statement may run before it is cancelled, a 504 in a request (0 = no limit).
    # PostgreSQL: the server's statement_timeout; SQLite: interrupted by a progress handler.
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
        from ..db.engine import open_engine, session_factory
        from ..db.schema import readiness_check

        engine = await stack.enter_async_context(open_engine(self.database))
        resources.provide(ENGINE, engine)
        resources.provide(SESSIONS, session_factory(engine))
        # Connects, and compares the schema's revision with the migrations' head.
        resources.readiness_checks["database"] = readiness_check(engine)

    @classmethod
    def add_commands(cls, cli: typer.Typer) -> None:
        db = typer.Typer(name="db", help="Database migrations (Alembic).", no_args_is_help=True)
        db.command()(upgrade)
        db.command()(downgrade)
        db.command()(current)
        db.command()(revision)
        cli.add_typer(db)
        cli.command()(seed)


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


def seed(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="YAML or JSON file: table name → list of rows")
    ] = Path("seed.yaml"),
) -> None:
    """Insert or update FILE's rows by primary key, in one transaction (idempotent)."""
    from ..db import seed as seeding

    if not file.is_file():
        typer.echo(
            f"error: no seed file {file}: write one (YAML or JSON, each table name → a list "
            "of rows with their primary key) or pass its path: seed FILE",
            err=True,
        )
        raise typer.Exit(code=1)
    try:
        data = seeding.read_file(file)
        # Checked before the database is opened: a typo never leaves half a seed.
        metadata = seeding.models_metadata()
        seeding.plan(data, metadata)
    except seeding.SeedError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc

    async def write(section: DatabaseSettings) -> str:
        results = await seeding.seed(section, data, metadata)
        return "\n".join(map(str, results)) or f"{file}: no rows"

    typer.echo(_run(ctx, write))


__all__ = [
    "ENGINE",
    "SESSIONS",
    "DatabaseFeature",
    "DatabaseSettings",
    "current",
    "downgrade",
    "revision",
    "seed",
    "upgrade",
    "without_password",
]
