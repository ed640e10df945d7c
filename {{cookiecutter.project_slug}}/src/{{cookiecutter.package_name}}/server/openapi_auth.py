"""The bearer-token rule, described in the OpenAPI document.

The token is checked by `BearerAuthMiddleware`, outside the routes, so FastAPI cannot see it.
Described here, it gives Swagger UI its Authorize button ("Try it out" then sends the token),
generated clients their credential, and every guarded operation its documented 401.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from fastapi import FastAPI

SCHEME = "bearerAuth"
# ErrorEnvelope is always among the schemas: /ready documents its 503 with it.
UNAUTHORIZED = {
    "description": "Missing or invalid bearer token (error envelope, `WWW-Authenticate: Bearer`)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
}
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def document_bearer_auth(app: FastAPI, *, public_paths: Iterable[str]) -> None:
    """Make `app.openapi()` declare the bearer scheme; `public_paths` stay without security."""
    build = app.openapi
    open_paths = frozenset(public_paths)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()  # FastAPI keeps it in app.openapi_schema: this runs once
            add_bearer_auth(schema, open_paths)
            return schema
        return app.openapi_schema

    # FastAPI's documented way to customise the schema: replace the method, keep its cache.
    app.openapi = openapi  # type: ignore[method-assign]


def add_bearer_auth(schema: dict[str, Any], public_paths: frozenset[str]) -> None:
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <server.auth.token>`",
    }
    schema["security"] = [{SCHEME: []}]
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            if path in public_paths:
                operation["security"] = []
            else:
                operation.setdefault("responses", {}).setdefault("401", UNAUTHORIZED)
