"""Alembic's environment: migrations run on the connection the `db` commands hand over.

`db/migrate.py` loads the service's settings, opens the async engine and calls Alembic
inside `AsyncConnection.run_sync`, so this module never reads a URL or a config file.
"""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with the `db` commands, which pass the connection")

context.configure(
    connection=connection,
    target_metadata=config.attributes["target_metadata"],
    # SQLite changes a table by copying it; batch operations in the scripts do that.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
