"""With a token set, the OpenAPI document declares the bearer scheme (Swagger UI's Authorize)."""

from typing import Any

from {{ cookiecutter.package_name }}.server import create_app

from .conftest import TOKEN, ClientFactory, make_settings

OPERATIONS = ("get", "put", "post", "delete", "head", "patch")


async def openapi(running: ClientFactory, **server: Any) -> dict[str, Any]:
    async with running(create_app(make_settings(**server))) as client:
        response = await client.get("/openapi.json")
        assert response.status_code == 200
        schema: dict[str, Any] = response.json()
        # A second read is the cached document, changed once, not twice.
        assert (await client.get("/openapi.json")).json() == schema
        return schema


def operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in OPERATIONS
    }


async def test_the_bearer_scheme_is_declared_when_a_token_is_set(running: ClientFactory) -> None:
    schema = await openapi(running, auth={"token": TOKEN})
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <server.auth.token>`",
    }
    assert schema["security"] == [{"bearerAuth": []}]
    assert TOKEN not in str(schema)


async def test_public_paths_are_open_and_the_rest_document_401(running: ClientFactory) -> None:
    schema = await openapi(running, auth={"token": TOKEN})
    found = operations(schema)
    assert found[("/health", "get")]["security"] == []
    assert found[("/ready", "get")]["security"] == []
    guarded = [op for (path, _), op in found.items() if path not in ("/health", "/ready")]
    assert guarded, "the version route at least is guarded"
    for operation in guarded:
        assert "security" not in operation, "the document-wide requirement applies"
        unauthorized = operation["responses"]["401"]
        ref = unauthorized["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/ErrorEnvelope"
    assert "ErrorEnvelope" in schema["components"]["schemas"]


async def test_the_documented_401_is_what_the_server_answers(running: ClientFactory) -> None:
    app = create_app(make_settings(auth={"token": TOKEN}))
    async with running(app) as client:
        response = await client.get("/version")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert set(response.json()["error"]) == {"code", "message", "details", "request_id", "trace_id"}


async def test_no_scheme_is_declared_with_authentication_off(running: ClientFactory) -> None:
    schema = await openapi(running)
    assert "securitySchemes" not in schema.get("components", {})
    assert "security" not in schema
    assert all("401" not in op["responses"] for op in operations(schema).values())
