"""/ready asks the database (SELECT 1); a database that is down makes it 503."""

from {{ cookiecutter.package_name }}.features.database import DatabaseSettings
from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.service import Settings

from ..ports import unused_port
from ..server.conftest import serve


async def test_ready_reports_the_database(
    database: DatabaseSettings,
) -> None:
    async with serve(create_app(Settings(database=database))) as client:
        response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


async def test_ready_is_503_when_the_database_is_down() -> None:
    closed = f"postgresql+asyncpg://app:pw@127.0.0.1:{unused_port()}/app"
    settings = Settings(database=DatabaseSettings(url=closed))
    async with serve(create_app(settings)) as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["checks"]["database"] == "unavailable"
