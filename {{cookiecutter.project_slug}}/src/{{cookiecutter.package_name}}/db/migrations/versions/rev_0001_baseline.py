"""Baseline: the empty schema every later migration builds on.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

revision: str = "0001"
down_revision: str | tuple[str, ...] | None = None
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    """No tables yet: each model's table comes in the migration that adds the model."""


def downgrade() -> None:
    """Nothing to undo."""
