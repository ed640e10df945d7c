"""`seed`: rows from a file, by primary key, in one transaction; twice changes nothing."""

import asyncio
import datetime
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    select,
)
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import app as cli
from {{ cookiecutter.package_name }}.config import ENV_PREFIX
from {{ cookiecutter.package_name }}.db.base import Base
from {{ cookiecutter.package_name }}.db.engine import open_engine
from {{ cookiecutter.package_name }}.db.seed import SeedError, TableResult, seed
from {{ cookiecutter.package_name }}.features.database import DatabaseSettings

from ..ports import unused_port

runner = CliRunner()

# Test-only tables, on a metadata of their own: the product gets no model from these tests.
metadata = MetaData()
suffix = uuid.uuid4().hex[:8]
authors = Table(
    f"authors_{suffix}",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
    Column("born", Date),
)
books = Table(
    f"books_{suffix}",
    metadata,
    Column("author_id", ForeignKey(authors.c.id), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("title", String(100), nullable=False),
)
DATA: dict[str, Any] = {
    # Children first in the file: seed writes parents first all the same.
    str(books.name): [
        {"author_id": 1, "number": 1, "title": "First"},
        {"author_id": 1, "number": 2, "title": "Second"},
    ],
    str(authors.name): [
        {"id": 1, "name": "Ann", "born": "1970-01-02"},
        {"id": 2, "name": "Bob"},
    ],
}


@pytest.fixture
async def tables(database: DatabaseSettings) -> AsyncIterator[DatabaseSettings]:
    async with open_engine(database) as engine:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        try:
            yield database
        finally:
            async with engine.begin() as connection:
                await connection.run_sync(metadata.drop_all)


async def rows(database: DatabaseSettings, table: Table) -> list[tuple[Any, ...]]:
    async with open_engine(database) as engine, engine.connect() as connection:
        result = await connection.execute(select(table).order_by(*table.primary_key))
        return [tuple(row) for row in result]


async def test_seed_inserts_then_changes_nothing(tables: DatabaseSettings) -> None:
    first = await seed(tables, DATA, metadata)
    assert first == [TableResult(authors.name, inserted=2), TableResult(books.name, inserted=2)]
    expected_authors = [(1, "Ann", datetime.date(1970, 1, 2)), (2, "Bob", None)]
    assert await rows(tables, authors) == expected_authors
    assert await rows(tables, books) == [(1, 1, "First"), (1, 2, "Second")]

    again = await seed(tables, DATA, metadata)
    assert again == [TableResult(authors.name, unchanged=2), TableResult(books.name, unchanged=2)]
    assert await rows(tables, authors) == expected_authors


async def test_seed_updates_only_the_columns_it_names(tables: DatabaseSettings) -> None:
    await seed(tables, DATA, metadata)
    changed = {authors.name: [{"id": 1, "name": "Anne"}, {"id": 3, "name": "Cy"}]}
    result = await seed(tables, changed, metadata)
    assert result == [TableResult(authors.name, inserted=1, updated=1)]
    assert await rows(tables, authors) == [
        (1, "Anne", datetime.date(1970, 1, 2)),  # `born` was not named: kept
        (2, "Bob", None),
        (3, "Cy", None),
    ]


async def test_a_failing_row_writes_nothing(tables: DatabaseSettings) -> None:
    """One transaction: the book of an author that does not exist undoes the authors too."""
    data = {
        authors.name: [{"id": 1, "name": "Ann"}],
        books.name: [{"author_id": 9, "number": 1, "title": "Orphan"}],
    }
    with pytest.raises(IntegrityError):
        await seed(tables, data, metadata)
    assert await rows(tables, authors) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"nope": []}, rf"unknown table 'nope'; tables: {authors.name}, {books.name}"),
        (
            {authors.name: [{"id": 1, "nmae": "x"}]},
            rf"table {authors.name}, row 1: unknown column 'nmae'; columns: id, name, born",
        ),
        (
            {books.name: [{"author_id": 1, "title": "x"}]},
            rf"table {books.name}, row 1: no value for primary key number",
        ),
        ({authors.name: {"id": 1}}, rf"table {authors.name}: expected a list of rows"),
        ({authors.name: [[1, "x"]]}, rf"table {authors.name}, row 1: expected a mapping"),
        (
            {authors.name: [{"id": 1, "name": "x", "born": "yesterday"}]},
            rf"table {authors.name}, column born: 'yesterday'",
        ),
    ],
)
async def test_a_file_that_does_not_fit_the_tables_is_refused(
    data: dict[str, Any], message: str
) -> None:
    """Checked before the database is opened: here it points where nothing listens."""
    nowhere = DatabaseSettings(url=f"postgresql+asyncpg://app@127.0.0.1:{unused_port()}/app")
    with pytest.raises(SeedError, match=message):
        await seed(nowhere, data, metadata)


@pytest.fixture
def registered() -> Iterator[None]:
    """The test tables on the models' metadata, for the command (removed afterwards)."""
    added = [table.to_metadata(Base.metadata) for table in (authors, books)]
    try:
        yield
    finally:
        for table in reversed(added):
            Base.metadata.remove(table)


@pytest.mark.usefixtures("registered")
def test_seed_command_reads_yaml_or_json_and_is_idempotent(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}DATABASE__URL", database_url)
    (tmp_path / "seed.yaml").write_text(yaml.safe_dump(DATA), encoding="utf-8")
    (tmp_path / "seed.json").write_text(json.dumps(DATA), encoding="utf-8")

    async def create(drop: bool) -> None:
        settings = DatabaseSettings(url=database_url)
        async with open_engine(settings) as engine, engine.begin() as connection:
            await connection.run_sync(metadata.drop_all if drop else metadata.create_all)

    asyncio.run(create(drop=False))
    try:
        first = runner.invoke(cli, ["seed"])  # seed.yaml in the working directory
        assert first.exit_code == 0, first.output
        assert first.stdout.splitlines() == [
            f"{authors.name}: 2 inserted, 0 updated, 0 unchanged",
            f"{books.name}: 2 inserted, 0 updated, 0 unchanged",
        ]
        again = runner.invoke(cli, ["seed", "seed.json"])
        assert again.exit_code == 0, again.output
        assert again.stdout.splitlines() == [
            f"{authors.name}: 0 inserted, 0 updated, 2 unchanged",
            f"{books.name}: 0 inserted, 0 updated, 2 unchanged",
        ]
    finally:
        asyncio.run(create(drop=True))


def test_seed_without_a_file_says_what_to_do() -> None:
    result = runner.invoke(cli, ["seed"])
    assert result.exit_code == 1
    assert "no seed file seed.yaml" in result.stderr
    assert "seed FILE" in result.stderr


def test_seed_command_refuses_an_unknown_table(tmp_path: Path) -> None:
    (tmp_path / "seed.yaml").write_text("no_such_table:\n  - {id: 1}\n", encoding="utf-8")
    result = runner.invoke(cli, ["seed"])
    assert result.exit_code == 1
    assert "error: unknown table 'no_such_table'; tables: " in result.stderr
    assert "Traceback" not in result.output


def test_seed_command_refuses_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "seed.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    result = runner.invoke(cli, ["seed"])
    assert result.exit_code == 1
    assert "expected a mapping of table names to lists of rows" in result.stderr
