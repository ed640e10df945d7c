"""Alembic's scripts: `env.py` and `versions/` (run by `db` commands, never imported)."""
