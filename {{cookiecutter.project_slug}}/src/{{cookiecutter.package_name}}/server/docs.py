"""Interactive API docs (Swagger UI at /docs, ReDoc at /redoc) served without a CDN.

FastAPI's built-in pages load their JavaScript and CSS from a public CDN: they break on networks
without internet access and tell a third party about every visit. Here the same pages load the
assets that the `fastapi-offline` distribution ships, served by this app under `/docs/static/`.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
STATIC_URL = "/docs/static"
# The package directory that holds the assets below (package data of fastapi-offline).
ASSET_PACKAGE = ("fastapi_offline", "static")
ASSETS = ("favicon.png", "redoc.standalone.js", "swagger-ui-bundle.js", "swagger-ui.css")

router = APIRouter(include_in_schema=False)


def install_docs(app: FastAPI) -> None:
    """Serve the assets and the two docs pages; `app` must publish its OpenAPI schema."""
    if app.openapi_url is None:
        raise ValueError("the docs pages need the OpenAPI schema (openapi_url)")
    # StaticFiles resolves the package directory now, so a missing package fails at startup.
    app.mount(STATIC_URL, StaticFiles(packages=[ASSET_PACKAGE]), name="docs-static")
    app.include_router(router)


@router.get(DOCS_URL)
async def swagger_ui(request: Request) -> HTMLResponse:
    app, root = _app_and_root(request)
    return get_swagger_ui_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=f"{app.title} - Swagger UI",
        swagger_js_url=f"{root}{STATIC_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{STATIC_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{STATIC_URL}/favicon.png",
        oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
        swagger_ui_parameters=app.swagger_ui_parameters,
    )


@router.get(OAUTH2_REDIRECT_URL)
async def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(REDOC_URL)
async def redoc(request: Request) -> HTMLResponse:
    app, root = _app_and_root(request)
    return get_redoc_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=f"{app.title} - ReDoc",
        redoc_js_url=f"{root}{STATIC_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{STATIC_URL}/favicon.png",
        # The default pulls fonts from Google: another third-party request.
        with_google_fonts=False,
    )


def _app_and_root(request: Request) -> tuple[FastAPI, str]:
    """The app and the path prefix it is served under (behind a proxy: `server.root_path`)."""
    app: FastAPI = request.app
    root: str = request.scope.get("root_path", "")
    return app, root.rstrip("/")


__all__ = ["ASSETS", "DOCS_URL", "REDOC_URL", "STATIC_URL", "install_docs"]
