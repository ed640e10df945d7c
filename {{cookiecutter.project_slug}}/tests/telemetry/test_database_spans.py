"""Database statements: a span each, from OpenTelemetry's SQLAlchemy instrumentation."""

from pathlib import Path

from sqlalchemy import text

from {{ cookiecutter.package_name }}.features.database import ENGINE, DatabaseSettings
from {{ cookiecutter.package_name }}.features.telemetry import (
    TRACER_PROVIDER,
    TelemetrySettings,
)
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.service import Settings
from {{ cookiecutter.package_name }}.telemetry.provider import trace_ids

from .receiver import OtlpReceiver


async def test_each_statement_is_a_child_span(receiver: OtlpReceiver, tmp_path: Path) -> None:
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'traced.db'}"),
        telemetry=TelemetrySettings(endpoint=receiver.endpoint),
    )
    async with open_resources(settings) as resources:
        engine = resources.get(ENGINE)
        with resources.get(TRACER_PROVIDER).get_tracer("test").start_as_current_span("caller"):
            caller = trace_ids()
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    [statement] = [span for span in receiver.spans if span.name.startswith("SELECT")]
    assert (statement.trace_id, statement.parent_span_id) == (
        caller["trace_id"],
        caller["span_id"],
    )
    assert statement.attributes.get("db.statement", statement.attributes.get("db.query.text"))
