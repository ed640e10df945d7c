"""/docs and /redoc load their assets from this app, never from a CDN."""

import re

import httpx
import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }} import PROJECT_NAME
from {{ cookiecutter.package_name }}.server import create_app
from {{ cookiecutter.package_name }}.server.docs import ASSETS, STATIC_URL, install_docs

from .conftest import TOKEN, ClientFactory, make_settings

CONTENT_TYPES = {
    "favicon.png": "image/png",
    "redoc.standalone.js": "javascript",
    "swagger-ui-bundle.js": "javascript",
    "swagger-ui.css": "text/css",
}


def referenced_urls(html: str) -> list[str]:
    """Every URL a docs page makes the browser load (src=, href=, url: '…')."""
    return re.findall(r"""(?:src|href)=["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""", html)


async def test_openapi_names_the_project_and_the_unit_of_the_process_time(
    client: httpx.AsyncClient,
) -> None:
    """The title is the project's name, not its slug; X-Process-Time says it is milliseconds."""
    info = (await client.get("/openapi.json")).json()["info"]
    assert info["title"] == PROJECT_NAME
    assert "`X-Process-Time`: the milliseconds" in info["description"]
    elapsed = (await client.get("/health")).headers["x-process-time"]
    assert re.fullmatch(r"\d+\.\d{3}", elapsed), elapsed


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_nothing_from_other_hosts(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    urls = [url for pair in referenced_urls(response.text) for url in pair if url]
    assert urls, "the page references its assets"
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    assert "cdn" not in response.text.lower()


@pytest.mark.parametrize("name", ASSETS)
async def test_assets_are_served_from_the_package(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"{STATIC_URL}/{name}")
    assert response.status_code == 200
    assert CONTENT_TYPES[name] in response.headers["content-type"]
    assert len(response.content) > 1000


async def test_swagger_page_points_at_the_local_bundle_and_schema(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/docs")).text
    assert f"{STATIC_URL}/swagger-ui-bundle.js" in html
    assert f"{STATIC_URL}/swagger-ui.css" in html
    assert "/openapi.json" in html


async def test_docs_honour_the_root_path(app: FastAPI) -> None:
    """Behind a proxy that mounts the app under /svc, the browser must ask for /svc/docs/static/…"""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, root_path="/svc")
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            html = (await client.get("/svc/docs")).text
            asset = await client.get(f"/svc{STATIC_URL}/swagger-ui.css")
    assert f"/svc{STATIC_URL}/swagger-ui-bundle.js" in html
    assert "/svc/openapi.json" in html
    assert asset.status_code == 200


@pytest.mark.parametrize("name", ASSETS)
async def test_assets_stay_public_when_a_token_is_set(running: ClientFactory, name: str) -> None:
    app = create_app(make_settings(auth={"token": TOKEN}))
    async with running(app) as client:
        assert (await client.get(f"{STATIC_URL}/{name}")).status_code == 200
        assert (await client.get("/version")).status_code == 401


async def test_only_the_listed_assets_are_public(running: ClientFactory) -> None:
    """Public paths match exactly: the static mount is not an open prefix."""
    app = create_app(make_settings(auth={"token": TOKEN}))
    async with running(app) as client:
        assert (await client.get(f"{STATIC_URL}/other.js")).status_code == 401
        assert (await client.get(f"{STATIC_URL}/swagger-ui-bundle.js.map")).status_code == 401


async def test_docs_off_removes_pages_assets_and_schema(running: ClientFactory) -> None:
    app: FastAPI = create_app(make_settings(docs=False))
    async with running(app) as client:
        for path in ("/docs", "/redoc", "/openapi.json", f"{STATIC_URL}/swagger-ui.css"):
            assert (await client.get(path)).status_code == 404, path


def test_docs_need_the_openapi_schema() -> None:
    with pytest.raises(ValueError, match="openapi_url"):
        install_docs(FastAPI(openapi_url=None))
