"""The database layer: plain SQLAlchemy 2 (async) and Alembic, on SQLite or PostgreSQL.

`engine.py` opens the engine, `base.py` holds the declarative `Base` the models derive from,
`migrate.py` runs the Alembic migrations under `migrations/` (the `db` commands).
"""
