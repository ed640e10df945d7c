"""DownloadClient: streamed, size-capped, checksummed, atomic and SSRF-guarded."""

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import app
from {{ cookiecutter.package_name }}.clients import ClientTimeoutError, RedirectError
from {{ cookiecutter.package_name }}.clients.download import (
    DownloadClient,
    DownloadTooLargeError,
    SourceNotAllowedError,
    sanitise_filename,
)
from {{ cookiecutter.package_name }}.config import ENV_PREFIX
from {{ cookiecutter.package_name }}.features.download import DownloadSettings
from {{ cookiecutter.package_name }}.files import ChecksumMismatchError

from .conftest import Upstream, build_app

# The test server listens on 127.0.0.1: allow exactly that address, nothing else private.
LOOPBACK_ONLY = DownloadSettings.model_validate({"allowed_networks": ["127.0.0.1/32"]})


def expected_data(size: int) -> bytes:
    return b"".join(
        bytes([offset % 251]) * min(100_000, size - offset) for offset in range(0, size, 100_000)
    )


def listing(directory: Path) -> list[str]:
    """Names in a directory (a helper, so async tests do not touch the disk directly)."""
    return sorted(p.name for p in directory.iterdir())


def settings(**overrides: Any) -> DownloadSettings:
    return LOOPBACK_ONLY.model_copy(update=overrides)


async def test_download_to_a_directory_uses_the_url_name(
    upstream: Upstream, tmp_path: Path
) -> None:
    async with DownloadClient(settings(chunk_size=65536)) as client:
        target, written = await client.to_file(f"{upstream.base_url}data?size=300000", tmp_path)
    data = expected_data(300_000)
    assert target == tmp_path / "data"
    assert target.read_bytes() == data
    assert (written.size, written.sha256) == (len(data), hashlib.sha256(data).hexdigest())


async def test_content_disposition_name_is_sanitised_and_confined(
    upstream: Upstream, tmp_path: Path
) -> None:
    async with DownloadClient(settings()) as client:
        target, _ = await client.to_file(f"{upstream.base_url}attachment", tmp_path)
    assert target == tmp_path / "evil.txt"
    assert listing(tmp_path) == ["evil.txt"]


@pytest.mark.parametrize("url_path", ["data?size=50000", "chunked?pieces=5"])
async def test_size_cap_stops_the_download_and_leaves_nothing(
    upstream: Upstream, tmp_path: Path, url_path: str
) -> None:
    async with DownloadClient(settings(max_bytes=20_000)) as client:
        with pytest.raises(DownloadTooLargeError):
            await client.to_file(f"{upstream.base_url}{url_path}", tmp_path / "out.bin")
    assert listing(tmp_path) == []


async def test_checksum_mismatch_leaves_nothing(upstream: Upstream, tmp_path: Path) -> None:
    async with DownloadClient(settings()) as client:
        with pytest.raises(ChecksumMismatchError):
            await client.to_file(
                f"{upstream.base_url}data?size=1000", tmp_path / "f", expected_sha256="0" * 64
            )
    assert listing(tmp_path) == []


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "[::1]", "169.254.169.254", "10.0.0.1", "[::ffff:127.0.0.1]"],
)
async def test_private_targets_are_refused_by_default(
    upstream: Upstream, tmp_path: Path, host: str
) -> None:
    port = upstream.base_url.split(":")[2].split("/")[0]
    async with DownloadClient(DownloadSettings(connect_timeout=1.0)) as client:
        with pytest.raises(SourceNotAllowedError):
            await client.to_file(f"http://{host}:{port}/api/data?size=10", tmp_path / "f")
    assert upstream.calls["/api/data"] == 0, "refused before any request was sent"
    assert listing(tmp_path) == []


async def test_redirects_are_checked_at_every_hop(upstream: Upstream, tmp_path: Path) -> None:
    port = upstream.base_url.split(":")[2].split("/")[0]
    # 127.0.0.2 is loopback too, but not in the allowed network.
    hidden = f"http://127.0.0.2:{port}/api/data?size=10"
    async with DownloadClient(settings()) as client:
        with pytest.raises(SourceNotAllowedError):
            await client.to_file(f"{upstream.base_url}redirect?to={hidden}", tmp_path / "f")
        allowed = f"{upstream.base_url}data?size=10"
        _, written = await client.to_file(
            f"{upstream.base_url}redirect?to={allowed}", tmp_path / "ok"
        )
    assert written.size == 10
    assert upstream.calls["/api/data"] == 1, "only the allowed hop was fetched"


async def test_transient_upstream_errors_are_retried(upstream: Upstream, tmp_path: Path) -> None:
    fast = settings(max_attempts=3, backoff_base=0.01, backoff_max=0.05)
    async with DownloadClient(fast) as client:
        _, written = await client.to_file(f"{upstream.base_url}flaky", tmp_path / "f")
    assert written.size == len(b'{"ok": true}')
    assert upstream.calls["/api/flaky"] == 3, "503, 503, then 200"


async def test_hanging_upstream_times_out_within_the_budget(
    upstream: Upstream, tmp_path: Path
) -> None:
    quick = settings(read_timeout=0.3, max_attempts=2, backoff_base=0.01, backoff_max=0.05)
    started = asyncio.get_running_loop().time()
    async with DownloadClient(quick) as client:
        with pytest.raises(ClientTimeoutError):
            await client.to_file(f"{upstream.base_url}hang", tmp_path / "f")
    elapsed = asyncio.get_running_loop().time() - started
    # Two timed-out attempts plus backoff; the slack absorbs a loaded CI machine, while an
    # unbounded download would hang for the upstream's full 30 s.
    assert elapsed < 2 * 0.3 + 0.05 + 2.0, f"{elapsed:.2f}s"
    assert upstream.calls["/api/hang"] == 2
    assert listing(tmp_path) == []


async def test_redirect_loops_are_bounded(upstream: Upstream, tmp_path: Path) -> None:
    """The transport's limit, as for BaseClient: an upstream fault (502 at the import API)."""
    loop = f"{upstream.base_url}redirect?to={upstream.base_url}redirect"
    async with DownloadClient(settings(max_redirects=2)) as client:
        with pytest.raises(RedirectError, match="more than 2 redirects"):
            await client.to_file(loop, tmp_path / "f")
    assert upstream.calls["/api/redirect"] == 3, "not retried either"


@pytest.mark.parametrize("url", ["ftp://example.com/x", "gopher://example.com/", "data:,x"])
async def test_other_schemes_are_refused(tmp_path: Path, url: str) -> None:
    async with DownloadClient(DownloadSettings()) as client:
        with pytest.raises(SourceNotAllowedError, match="scheme"):
            await client.to_file(url, tmp_path / "f")


async def test_file_sources_only_below_configured_roots(tmp_path: Path) -> None:
    root, outside, dest = tmp_path / "root", tmp_path / "outside", tmp_path / "dest"
    for directory in (root, outside, dest):
        directory.mkdir()
    (root / "ok.txt").write_bytes(b"inside")
    (outside / "secret.txt").write_bytes(b"secret")
    os.symlink(outside, root / "link")

    async with DownloadClient(DownloadSettings()) as client:
        with pytest.raises(SourceNotAllowedError):
            await client.to_file(f"file://{root}/ok.txt", dest)
    async with DownloadClient(DownloadSettings(file_roots=(str(root),))) as client:
        target, _ = await client.to_file(f"file://{root}/ok.txt", dest)
        assert target.read_bytes() == b"inside"
        for escape in (
            f"file://{outside}/secret.txt",
            f"file://{root}/../outside/secret.txt",
            f"file://{root}/link/secret.txt",
        ):
            with pytest.raises((SourceNotAllowedError, ValueError)):
                await client.to_file(escape, dest / "x")
    assert listing(dest) == ["ok.txt"]


async def test_progress_is_reported(upstream: Upstream, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    async with DownloadClient(settings(chunk_size=65536)) as client:
        url = f"{upstream.base_url}data?size=200000"
        await client.to_file(url, tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (200_000, 200_000)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        ("", "download"),
        ("..", "download"),
        ("a\x00b\nc.txt", "a_b_c.txt"),
        ("  .hidden  ", "hidden"),
        ("é" * 200, "é" * 127),
    ],
)
def test_filenames_are_sanitised(raw: str, clean: str) -> None:
    assert sanitise_filename(raw) == clean


# The allowed networks as JSON, or plain as a shell user writes them first.
@pytest.mark.parametrize("networks", ['["127.0.0.1/32"]', "127.0.0.1/32", "10.0.0.0/8,127.0.0.1"])
def test_cli_download_writes_the_file(
    upstream_in_thread: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, networks: str
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}DOWNLOAD__ALLOWED_NETWORKS", networks)
    data = expected_data(120_000)
    digest = hashlib.sha256(data).hexdigest()
    url = f"{upstream_in_thread}data?size=120000"
    result = CliRunner().invoke(app, ["download", url, str(tmp_path), "--sha256", digest])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data").read_bytes() == data
    assert digest in result.stdout


def test_cli_download_refuses_private_targets(upstream_in_thread: str, tmp_path: Path) -> None:
    url = f"{upstream_in_thread}data?size=10"
    result = CliRunner().invoke(app, ["download", url, str(tmp_path)])
    assert result.exit_code == 1
    assert "not allowed" in result.stderr
    assert "download.allowed_networks" in result.stderr, "names the setting that allows it"
    assert listing(tmp_path) == []


@pytest.fixture
async def public_looking() -> AsyncIterator[Upstream]:
    """An upstream on 127.0.0.2: the one address the SSRF tests allow, so 127.0.0.1 is not."""
    state = Upstream(base_url="")
    server = TestServer(build_app(state), host="127.0.0.2")
    try:
        await server.start_server()
    except OSError:  # macOS routes only 127.0.0.1 to lo0 by default
        pytest.skip("127.0.0.2 is not a local address on this machine")
    state.base_url = str(server.make_url("/api/"))
    try:
        yield state
    finally:
        await server.close()


# 127.0.0.1 as a name, and in the numeric forms inet_aton reads (judged as that address).
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433", "0x7f.1", "127.1"])
async def test_a_redirect_to_loopback_is_refused_before_it_is_fetched(
    public_looking: Upstream, upstream: Upstream, tmp_path: Path, host: str
) -> None:
    """The hop check sees IP literals, the guarded resolver names: both refuse (403 at the API)."""
    port = upstream.base_url.split(":")[2].split("/")[0]
    internal = f"http://{host}:{port}/api/data?size=10"
    only_public = DownloadSettings.model_validate({"allowed_networks": ["127.0.0.2/32"]})
    async with DownloadClient(only_public) as client:
        with pytest.raises(SourceNotAllowedError, match="not allowed"):
            await client.to_file(f"{public_looking.base_url}redirect?to={internal}", tmp_path)
    assert public_looking.calls["/api/redirect"] == 1, "refusals are not retried"
    assert upstream.calls["/api/data"] == 0, "the internal service was never contacted"
    assert listing(tmp_path) == []


async def test_a_redirect_to_another_scheme_is_refused(upstream: Upstream, tmp_path: Path) -> None:
    async with DownloadClient(settings(allowed_schemes=("http",))) as client:
        for target, scheme in (("https://127.0.0.1/x", "https"), ("ftp://127.0.0.1/y", "ftp")):
            with pytest.raises(SourceNotAllowedError, match=f"scheme not allowed: {scheme}"):
                await client.to_file(f"{upstream.base_url}redirect?to={target}", tmp_path / "f")
    assert upstream.calls["/api/redirect"] == 2, "each refused at its first hop"


async def test_a_redirect_without_location_is_an_upstream_error(tmp_path: Path) -> None:
    """A 3xx without Location is not saved as if it were the file."""

    async def bare(request: web.Request) -> web.Response:
        return web.Response(status=302, text="moved, somewhere")

    app = web.Application()
    app.router.add_get("/bare", bare)
    async with TestServer(app, host="127.0.0.1") as server, DownloadClient(settings()) as client:
        with pytest.raises(RedirectError, match="without a Location"):
            await client.to_file(str(server.make_url("/bare")), tmp_path / "f")
    assert listing(tmp_path) == []


async def test_a_closed_client_cannot_be_reused(upstream: Upstream, tmp_path: Path) -> None:
    """It would otherwise open a new, never-closed session behind the caller's back."""
    client = DownloadClient(settings())
    async with client:
        await client.to_file(f"{upstream.base_url}data?size=10", tmp_path / "f")
    await client.aclose()  # closing twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        await client.to_file(f"{upstream.base_url}data?size=10", tmp_path / "g")
