"""Seed data: the rows a database starts with, from a YAML or JSON file, idempotently.

    # seed.yaml: table → rows (JSON is YAML too)
    notes:
      - {id: 1, body: hello}
      - {id: 2, body: world}

Tables are those the migrations manage (the models' `Base.metadata`), written parents first
(foreign keys). Each row is found by its primary key, so every row names it: missing rows
are inserted, rows with a different value are updated (only the columns the file names),
equal rows are left alone; running the same file twice changes nothing. Everything runs in
one transaction: an error anywhere writes nothing. The file is checked against the tables
before the database is touched: an unknown table or column is an error that lists the
known ones.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, insert, select, update

from .engine import open_engine

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from sqlalchemy import MetaData, Table
    from sqlalchemy.ext.asyncio import AsyncConnection

    from ..features.database import DatabaseSettings

Row = dict[str, Any]
# Types a JSON file can only spell as strings: converted with the column's Python type.
_FROM_STRING: dict[type, Any] = {
    datetime.datetime: datetime.datetime.fromisoformat,
    datetime.date: datetime.date.fromisoformat,
    datetime.time: datetime.time.fromisoformat,
    decimal.Decimal: decimal.Decimal,
    uuid.UUID: uuid.UUID,
}


class SeedError(ValueError):
    """The seed file does not fit the tables; the message says where and what is known."""


@dataclass(frozen=True)
class TableResult:
    table: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return (
            f"{self.table}: {self.inserted} inserted, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )


def models_metadata() -> MetaData:
    """The tables the migrations manage: the metadata Alembic compares the models with."""
    from .migrate import alembic_config

    metadata: MetaData = alembic_config().attributes["target_metadata"]
    return metadata


def read_file(path: Path) -> Mapping[str, Any]:
    """The file's table → rows mapping (blocking: call it outside the event loop)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SeedError(f"{path}: not YAML or JSON: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SeedError(f"{path}: expected a mapping of table names to lists of rows")
    return data


def plan(data: Mapping[str, Any], metadata: MetaData) -> list[tuple[Table, list[Row]]]:
    """Check `data` against the tables and put it in write order (parents first)."""
    known = metadata.tables
    unknown = sorted(set(data) - set(known))
    if unknown:
        tables = ", ".join(sorted(known)) or "none yet (add a model and its migration)"
        raise SeedError(f"unknown table {', '.join(map(repr, unknown))}; tables: {tables}")
    ordered = []
    for table in metadata.sorted_tables:
        if table.name in data:
            ordered.append((table, _rows(table, data[table.name])))
    return ordered


def _rows(table: Table, rows: Any) -> list[Row]:
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise SeedError(f"table {table.name}: expected a list of rows")
    columns = table.columns
    checked = []
    for number, row in enumerate(rows, start=1):
        where = f"table {table.name}, row {number}"
        if not isinstance(row, dict):
            raise SeedError(f"{where}: expected a mapping of column names to values")
        unknown = sorted(set(row) - set(columns.keys()))
        if unknown:
            names = ", ".join(columns.keys())
            raise SeedError(f"{where}: unknown column {', '.join(map(repr, unknown))}; "
                            f"columns: {names}")  # fmt: skip
        missing = [column.name for column in table.primary_key if column.name not in row]
        if missing:
            raise SeedError(f"{where}: no value for primary key {', '.join(missing)}")
        checked.append({name: _convert(table, name, value) for name, value in row.items()})
    return checked


def _convert(table: Table, name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        python_type = table.columns[name].type.python_type
    except NotImplementedError:
        return value
    convert = _FROM_STRING.get(python_type)
    if convert is None:
        return value
    try:
        return convert(value)
    except (ValueError, decimal.InvalidOperation) as exc:
        raise SeedError(f"table {table.name}, column {name}: {value!r}: {exc}") from exc


async def _write(connection: AsyncConnection, table: Table, rows: list[Row]) -> TableResult:
    inserted = updated = unchanged = 0
    for row in rows:
        key = and_(*(column == row[column.name] for column in table.primary_key))
        found = (await connection.execute(select(table).where(key))).mappings().first()
        if found is None:
            await connection.execute(insert(table).values(row))
            inserted += 1
        elif any(found[name] != value for name, value in row.items()):
            await connection.execute(update(table).where(key).values(row))
            updated += 1
        else:
            unchanged += 1
    return TableResult(table.name, inserted, updated, unchanged)


async def seed(
    settings: DatabaseSettings, data: Mapping[str, Any], metadata: MetaData
) -> list[TableResult]:
    """Write `data` (table → rows) by primary key, in one transaction; what was done per table.

    `metadata`: the tables to accept, `models_metadata()` for the service's own.
    """
    tables = plan(data, metadata)
    async with open_engine(settings) as engine, engine.begin() as connection:
        return [await _write(connection, table, rows) for table, rows in tables]


__all__ = ["SeedError", "TableResult", "models_metadata", "plan", "read_file", "seed"]
