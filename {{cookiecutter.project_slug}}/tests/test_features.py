"""Features plug in through `service.Settings`: order, resources, readiness and commands."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
import typer
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.config import Section, ServiceSettings
from {{ cookiecutter.package_name }}.features import Feature, features_of
from {{ cookiecutter.package_name }}.resources import ResourceKey, Resources, open_resources
from {{ cookiecutter.package_name }}.service import FEATURES, Settings

EVENTS: list[str] = []


class Pool:
    """Stands for a client a feature opens; records when it opens and closes."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def ping(self) -> None:
        EVENTS.append(f"ping {self.name}")


@asynccontextmanager
async def opened(name: str) -> AsyncIterator[Pool]:
    EVENTS.append(f"open {name}")
    try:
        yield Pool(name)
    finally:
        EVENTS.append(f"close {name}")


BASE_POOL: ResourceKey[Pool] = ResourceKey("base_pool")


class BaseSection(Section):
    size: int = 1


class BaseFeature(Feature):
    base: BaseSection = BaseSection()

    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        pool = await stack.enter_async_context(opened(f"base size={self.base.size}"))
        resources.provide(BASE_POOL, pool)
        resources.readiness_checks["base"] = pool.ping


class UserFeature(Feature):
    """Uses what BaseFeature opened, so it is listed before it and opened after it."""

    async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
        base = resources.get(BASE_POOL)
        await stack.enter_async_context(opened(f"user of {base.name}"))

    @classmethod
    def add_commands(cls, cli: typer.Typer) -> None:
        @cli.command()
        def hello() -> None:
            typer.echo("hello from a feature")


class TwoFeatures(UserFeature, BaseFeature, ServiceSettings):
    pass


@pytest.fixture(autouse=True)
def clear_events() -> None:
    EVENTS.clear()


def test_features_are_the_bases_of_settings_the_used_ones_first() -> None:
    assert features_of(TwoFeatures) == (BaseFeature, UserFeature)


def test_each_feature_contributes_its_sections() -> None:
    settings = TwoFeatures(base={"size": 3})
    assert BaseFeature.of(settings).base.size == 3
    assert list(TwoFeatures.model_fields) == ["logging", "base"]


async def test_resources_open_in_order_and_close_in_reverse() -> None:
    async with open_resources(TwoFeatures(base={"size": 2})) as resources:
        assert EVENTS == ["open base size=2", "open user of base size=2"]
        await resources.readiness_checks["base"]()
        assert resources.find(BASE_POOL) is resources.get(BASE_POOL)
    assert EVENTS[-2:] == ["close user of base size=2", "close base size=2"]
    assert resources.shutting_down


async def test_a_feature_that_fails_to_open_closes_what_was_opened() -> None:
    class Broken(Feature):
        async def open(self, resources: Resources, stack: AsyncExitStack) -> None:
            raise ConnectionError("upstream down")

    class WithBroken(Broken, BaseFeature, ServiceSettings):
        pass

    with pytest.raises(ConnectionError, match="upstream down"):
        async with open_resources(WithBroken()):
            pass
    assert EVENTS == ["open base size=1", "close base size=1"]


def test_a_resource_is_provided_once() -> None:
    resources = Resources()
    resources.provide(BASE_POOL, Pool("a"))
    with pytest.raises(RuntimeError, match="already provided"):
        resources.provide(BASE_POOL, Pool("b"))


def test_a_feature_may_replace_a_provided_resource_with_a_layer_over_it() -> None:
    resources = Resources()
    with pytest.raises(LookupError, match="base_pool"):
        resources.replace(BASE_POOL, Pool("layer"))
    below = Pool("below")
    resources.provide(BASE_POOL, below)
    layer = Pool("layer")
    resources.replace(BASE_POOL, layer)
    assert resources.get(BASE_POOL) is layer


def test_a_missing_resource_is_a_wiring_error_and_find_says_none() -> None:
    resources = Resources()
    with pytest.raises(LookupError, match="base_pool"):
        resources.get(BASE_POOL)
    assert resources.find(BASE_POOL) is None


def test_of_refuses_settings_without_the_feature() -> None:
    with pytest.raises(TypeError, match="BaseFeature"):
        BaseFeature.of(ServiceSettings())


def test_feature_commands_join_the_cli() -> None:
    cli = typer.Typer()

    @cli.command()
    def version() -> None: ...

    for feature in features_of(TwoFeatures):
        feature.add_commands(cli)
    result = CliRunner().invoke(cli, ["hello"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello from a feature\n"


def test_the_service_settings_are_made_of_its_features() -> None:
    """Every section of `Settings` belongs to the core or to exactly one listed feature."""
    owners: dict[str, str] = dict.fromkeys(ServiceSettings.model_fields, "core")
    for feature in FEATURES:
        for name in feature.model_fields:
            assert name not in owners, f"{name} is claimed by {owners[name]} and {feature}"
            owners[name] = feature.__name__
    assert sorted(owners) == sorted(Settings.model_fields)


def test_constructing_settings_reads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only `Settings.load` reads the environment, so `Settings(...)` is what a test says."""
    monkeypatch.setenv("{{ cookiecutter.package_name | upper }}_LOGGING__LEVEL", "ERROR")
    assert Settings().logging.level == "INFO"
    assert Settings.load().logging.level == "ERROR"
