"""The models and the migrations agree: autogenerate finds nothing to write, on both databases."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from {{ cookiecutter.package_name }}.db import migrate
from {{ cookiecutter.package_name }}.db.base import Base
from {{ cookiecutter.package_name }}.db.engine import open_engine
from {{ cookiecutter.package_name }}.features.database import DatabaseSettings


async def test_autogenerate_finds_no_difference_at_head(database: DatabaseSettings) -> None:
    """What `db revision --autogenerate` (and `alembic check`) would compare."""
    await migrate.upgrade(database)
    migrate.load_models()

    def compare(connection: Connection) -> tuple[list[Any], set[str]]:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"},
        )
        tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
        return compare_metadata(context, Base.metadata), tables

    async with open_engine(database) as engine, engine.connect() as connection:
        differences, tables = await connection.run_sync(compare)
    assert differences == []
    # Not vacuous: every model the project renders has its table, and nothing else is there.
    assert tables == set(Base.metadata.tables)
