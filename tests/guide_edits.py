"""The edits a service author makes by following the generated guides, keyed by release.

`EDITS["v0.1.0"]` is what the guides of release v0.1.0 teach (`docs/guides/add-an-endpoint.md`,
`add-a-setting.md`, `add-an-upstream-client.md` of a project rendered from that tag). Code the
guide shows in full is taken from the guide in the project, so the guide's code is checked too;
the glue (where an import or a field goes) is written here, as the guide describes it.

Releases keep their edits: `edits_for(tag)` is the newest entry at or before `tag`, and
`edits_for(None)` (the template as it is now) the newest entry of all. A release that changes
what the guides teach (settings sections moving out of `config.py`, say) adds an entry under its
own version with new edit functions, and leaves the old entries alone: projects made from old
releases were edited the old way.
"""

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GuideEdit:
    """One guide followed once: the files it creates or changes, and what must survive."""

    guide: str
    apply: Callable[[Path, str], None]  # (project, package name)
    # Project paths the edit creates or changes; `{package}` stands for the package name.
    paths: tuple[str, ...]
    # (path, text) pairs that show the edit is in place; checked after an update.
    keeps: tuple[tuple[str, str], ...]

    def files(self, package: str) -> set[str]:
        return {path.format(package=package) for path in self.paths}

    def kept(self, project: Path, package: str) -> list[str]:
        """The `keeps` entries missing from `project` (empty: the edit survived)."""
        missing = []
        for path, text in self.keeps:
            file = project / path.format(package=package)
            if not file.is_file() or text not in file.read_text():
                missing.append(f"{path.format(package=package)}: {text!r}")
        return missing


# --- Editing helpers: each fails loudly when its anchor is not where the release put it -------


def code_blocks(project: Path, guide: str, language: str) -> list[str]:
    """The fenced `language` blocks of a guide in `project`, dedented (list items indent them)."""
    text = (project / "docs" / "guides" / guide).read_text()
    pattern = re.compile(rf"^( *)```{language}\n(.*?)^\1```$", re.DOTALL | re.MULTILINE)
    return [textwrap.dedent(match.group(2)) for match in pattern.finditer(text)]


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name}: expected {old!r} exactly once"
    path.write_text(text.replace(old, new))


def write_new(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def add_section(config: Path, section: str, field: str, name: str) -> None:
    """A settings group before `Settings`, its field after the last group field, its name in
    `__all__` (kept in ruff's isort-style order: constants, classes, then functions)."""
    replace_once(
        config, "class Settings(BaseSettings):\n", f"{section}\n\n\nclass Settings(BaseSettings):\n"
    )
    text = config.read_text()
    body = text.index("class Settings(BaseSettings):\n")
    fields = list(re.compile(r"^    \w+: \w+ = \w+\(\)\n", re.MULTILINE).finditer(text, body))
    assert fields, "Settings has no section fields"
    end = fields[-1].end()
    text = f"{text[:end]}    {field}\n{text[end:]}"
    start = text.index("__all__ = [\n") + len("__all__ = [\n")
    stop = text.index("]\n", start)
    names = [*re.findall(r'"(\w+)"', text[start:stop]), name]

    def order(item: str) -> tuple[int, str]:
        return (0 if item.isupper() else 1 if item[0].isupper() else 2, item)

    listed = "".join(f'    "{item}",\n' for item in sorted(names, key=order))
    config.write_text(text[:start] + listed + text[stop:])


def append_yaml(example: Path, block: str) -> None:
    example.write_text(example.read_text().rstrip("\n") + "\n" + block)


# --- v0.1.0 ---------------------------------------------------------------------------------


def add_endpoint_v0_1_0(project: Path, package: str) -> None:
    """add-an-endpoint.md: `server/greetings.py`, included in `create_app`, and its test."""
    router, _include, test = code_blocks(project, "add-an-endpoint.md", "python")
    source = project / "src" / package
    write_new(source / "server" / "greetings.py", router)
    app = source / "server" / "app.py"
    # "Include it in create_app, next to the health router" (ruff's isort merges the import).
    replace_once(app, "from . import health\n", "from . import greetings, health\n")
    replace_once(
        app,
        "    app.include_router(health.router)\n",
        "    app.include_router(health.router)\n    app.include_router(greetings.router)\n",
    )
    write_new(project / "tests" / "server" / "test_greetings.py", test)


def add_setting_v0_1_0(project: Path, package: str) -> None:
    """add-a-setting.md: a `GreetingSettings` group, its field on `Settings`, the example."""
    (example,) = code_blocks(project, "add-a-setting.md", "python")
    section, settings = example.split("\n\n\nclass Settings(BaseSettings):\n")
    field = settings.splitlines()[-1].strip()
    add_section(project / "src" / package / "config.py", section, field, "GreetingSettings")
    (yaml_block,) = code_blocks(project, "add-a-setting.md", "yaml")
    append_yaml(project / "config.example.yaml", yaml_block)


WEATHER_YAML_V0_1_0 = """\
weather:
  base_url: https://weather.example/api/
  timeout_seconds: 5.0
  api_key: null
"""

# The guide's step 4 is prose ("start an aiohttp test server ... call the real method").
WEATHER_TEST_V0_1_0 = '''\
"""WeatherClient against a real aiohttp server."""

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from {package}.clients import HTTPStatusError
from {package}.clients.weather import Forecast, WeatherClient


async def forecast(request: web.Request) -> web.Response:
    city = request.match_info["city"]
    if city == "atlantis":
        return web.json_response({{"detail": "no such city"}}, status=404)
    return web.json_response({{"city": city, "celsius": 21.5}})


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/api/forecast/{{city}}", forecast)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("/api/"))


async def test_forecast_is_typed(base_url: str) -> None:
    async with WeatherClient(base_url) as weather:
        assert await weather.forecast("oslo") == Forecast(city="oslo", celsius=21.5)


async def test_unknown_city_is_a_status_error(base_url: str) -> None:
    async with WeatherClient(base_url) as weather:
        with pytest.raises(HTTPStatusError) as caught:
            await weather.forecast("atlantis")
    assert caught.value.status == 404
'''


def add_upstream_client_v0_1_0(project: Path, package: str) -> None:
    """add-an-upstream-client.md: a `WeatherSettings` group, `clients/weather.py`, its test."""
    section, client, _lifespan = code_blocks(project, "add-an-upstream-client.md", "python")
    field = "weather: WeatherSettings = WeatherSettings()"
    add_section(project / "src" / package / "config.py", section.strip(), field, "WeatherSettings")
    append_yaml(project / "config.example.yaml", WEATHER_YAML_V0_1_0)
    # The guide shows the module body; the project's conventions add a docstring and __all__.
    write_new(
        project / "src" / package / "clients" / "weather.py",
        f'"""The weather API."""\n\n{client}\n\n__all__ = ["Forecast", "WeatherClient"]\n',
    )
    write_new(
        project / "tests" / "clients" / "test_weather.py",
        WEATHER_TEST_V0_1_0.format(package=package),
    )


V0_1_0 = (
    GuideEdit(
        guide="add-an-endpoint.md",
        apply=add_endpoint_v0_1_0,
        paths=(
            "src/{package}/server/greetings.py",
            "src/{package}/server/app.py",
            "tests/server/test_greetings.py",
        ),
        keeps=(
            ("src/{package}/server/app.py", "app.include_router(greetings.router)"),
            ("src/{package}/server/greetings.py", 'prefix="/api/v1/greetings"'),
            ("tests/server/test_greetings.py", "async def test_greet_defaults_to_world"),
        ),
    ),
    GuideEdit(
        guide="add-a-setting.md",
        apply=add_setting_v0_1_0,
        paths=("src/{package}/config.py", "config.example.yaml"),
        keeps=(
            ("src/{package}/config.py", "class GreetingSettings(Section):"),
            ("src/{package}/config.py", "greeting: GreetingSettings = GreetingSettings()"),
            ("config.example.yaml", "greeting:\n  prefix: hello\n"),
        ),
    ),
    GuideEdit(
        guide="add-an-upstream-client.md",
        apply=add_upstream_client_v0_1_0,
        paths=(
            "src/{package}/config.py",
            "config.example.yaml",
            "src/{package}/clients/weather.py",
            "tests/clients/test_weather.py",
        ),
        keeps=(
            ("src/{package}/config.py", "weather: WeatherSettings = WeatherSettings()"),
            ("src/{package}/clients/weather.py", "class WeatherClient(BaseClient):"),
            ("tests/clients/test_weather.py", "async def test_forecast_is_typed"),
        ),
    ),
)

# --- v0.2.0: features plug in; sections and routes come with a feature module -----------------


def list_feature(project: Path, package: str, module: str, feature: str) -> None:
    """What the guides say to do in `service.py`: import the feature and list it first."""
    service = project / "src" / package / "service.py"
    text = service.read_text()
    imports = re.findall(r"^from \.features\.\w+ import \w+\n", text, re.MULTILINE)
    assert imports, "service.py imports no feature module"
    line = f"from .features.{module} import {feature}\n"
    ordered = sorted([*imports, line], key=lambda item: item.split()[1])  # ruff's isort order
    text = text.replace("".join(imports), "".join(ordered), 1)
    service.write_text(text)
    replace_once(
        service,
        "    # Most specific first, like mixins: each feature before the features it uses.\n",
        "    # Most specific first, like mixins: each feature before the features it uses.\n"
        f"    {feature},\n",
    )


def add_endpoint_v0_2_0(project: Path, package: str) -> None:
    """add-an-endpoint.md: `server/greetings.py`, a web feature that includes it, its test."""
    router, feature, test = code_blocks(project, "add-an-endpoint.md", "python")
    source = project / "src" / package
    write_new(source / "server" / "greetings.py", router)
    write_new(source / "features" / "greetings.py", feature)
    list_feature(project, package, "greetings", "GreetingsFeature")
    write_new(project / "tests" / "server" / "test_greetings.py", test)


# The guide shows the section and the feature; the module around them is written as
# add-a-feature.md shows it.
GREETING_MODULE_V0_2_0 = '''\
"""Greetings: the `greeting` section."""

from pydantic import Field, SecretStr

from ..config import Section
from . import Feature


{body}


__all__ = ["GreetingFeature", "GreetingSettings"]
'''


def add_setting_v0_2_0(project: Path, package: str) -> None:
    """add-a-setting.md: `features/greeting.py` (section and feature), listed, the example."""
    (body,) = code_blocks(project, "add-a-setting.md", "python")
    module = GREETING_MODULE_V0_2_0.format(body=body.strip())
    write_new(project / "src" / package / "features" / "greeting.py", module)
    list_feature(project, package, "greeting", "GreetingFeature")
    (yaml_block,) = code_blocks(project, "add-a-setting.md", "yaml")
    append_yaml(project / "config.example.yaml", yaml_block)


WEATHER_MODULE_V0_2_0 = '''\
"""The weather upstream: the `weather` section."""

from pydantic import Field, SecretStr

from ..config import Section
from . import Feature


{section}


class WeatherFeature(Feature):
    weather: WeatherSettings = WeatherSettings()


__all__ = ["WeatherFeature", "WeatherSettings"]
'''


def add_upstream_client_v0_2_0(project: Path, package: str) -> None:
    """add-an-upstream-client.md: `features/weather.py`, `clients/weather.py`, its test."""
    section, client, _feature = code_blocks(project, "add-an-upstream-client.md", "python")
    source = project / "src" / package
    write_new(
        source / "features" / "weather.py", WEATHER_MODULE_V0_2_0.format(section=section.strip())
    )
    list_feature(project, package, "weather", "WeatherFeature")
    append_yaml(project / "config.example.yaml", WEATHER_YAML_V0_1_0)
    write_new(
        source / "clients" / "weather.py",
        f'"""The weather API."""\n\n{client}\n\n__all__ = ["Forecast", "WeatherClient"]\n',
    )
    write_new(
        project / "tests" / "clients" / "test_weather.py",
        WEATHER_TEST_V0_1_0.format(package=package),
    )


V0_2_0 = (
    GuideEdit(
        guide="add-an-endpoint.md",
        apply=add_endpoint_v0_2_0,
        paths=(
            "src/{package}/server/greetings.py",
            "src/{package}/features/greetings.py",
            "src/{package}/service.py",
            "tests/server/test_greetings.py",
        ),
        keeps=(
            ("src/{package}/service.py", "    GreetingsFeature,\n"),
            ("src/{package}/features/greetings.py", "app.include_router(greetings.router)"),
            ("src/{package}/server/greetings.py", 'prefix="/api/v1/greetings"'),
            ("tests/server/test_greetings.py", "async def test_greet_defaults_to_world"),
        ),
    ),
    GuideEdit(
        guide="add-a-setting.md",
        apply=add_setting_v0_2_0,
        paths=(
            "src/{package}/features/greeting.py",
            "src/{package}/service.py",
            "config.example.yaml",
        ),
        keeps=(
            ("src/{package}/features/greeting.py", "class GreetingSettings(Section):"),
            (
                "src/{package}/features/greeting.py",
                "greeting: GreetingSettings = GreetingSettings()",
            ),
            ("src/{package}/service.py", "    GreetingFeature,\n"),
            ("config.example.yaml", "greeting:\n  prefix: hello\n"),
        ),
    ),
    GuideEdit(
        guide="add-an-upstream-client.md",
        apply=add_upstream_client_v0_2_0,
        paths=(
            "src/{package}/features/weather.py",
            "src/{package}/service.py",
            "config.example.yaml",
            "src/{package}/clients/weather.py",
            "tests/clients/test_weather.py",
        ),
        keeps=(
            ("src/{package}/features/weather.py", "weather: WeatherSettings = WeatherSettings()"),
            ("src/{package}/clients/weather.py", "class WeatherClient(BaseClient):"),
            ("tests/clients/test_weather.py", "async def test_forecast_is_typed"),
        ),
    ),
)

# Release tag -> the edits its guides teach. A release whose guides teach different edits adds
# its own entry (the tag it will get, e.g. "v0.2.0"); `edits_for(None)` then returns it.
EDITS: dict[str, tuple[GuideEdit, ...]] = {"v0.1.0": V0_1_0, "v0.2.0": V0_2_0}


def version_key(tag: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", tag))


def edits_for(release: str | None) -> tuple[GuideEdit, ...]:
    """The edits taught at `release` (a tag), or by the current template when None."""
    known = sorted(EDITS, key=version_key)
    if release is not None:
        known = [tag for tag in known if version_key(tag) <= version_key(release)]
    assert known, f"no guide edits recorded for {release} or any release before it"
    return EDITS[known[-1]]


def guides_to_redo(edits: tuple[GuideEdit, ...], paths: set[str], package: str) -> list[GuideEdit]:
    """The edits touching `paths`, plus every edit sharing a file with those (transitively).

    Redoing a guide starts from the new template's version of its files; a second guide that
    changed one of those files would lose its edit unless it is redone too.
    """
    chosen: list[GuideEdit] = []
    touched = set(paths)
    changed = True
    while changed:
        changed = False
        for edit in edits:
            if edit not in chosen and edit.files(package) & touched:
                chosen.append(edit)
                touched |= edit.files(package)
                changed = True
    return [edit for edit in edits if edit in chosen]  # in the order the user made them


__all__ = ["EDITS", "GuideEdit", "edits_for", "guides_to_redo", "version_key"]
