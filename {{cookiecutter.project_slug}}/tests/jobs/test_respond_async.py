"""RFC 7240 Prefer parsing: respond-async is found however it is written, and only it counts."""

import pytest

from {{ cookiecutter.package_name }}.jobs.respond_async import preference_names, prefers_async


@pytest.mark.parametrize(
    "values",
    [
        ["respond-async"],
        ["Respond-Async"],
        ["wait=10, respond-async"],
        ["  respond-async ; foo=bar ,wait=5"],
        ["return=minimal", "respond-async"],
        ['foo="a, respond-async-not", respond-async'],
    ],
)
def test_respond_async_is_found_in_any_position_and_case(values: list[str]) -> None:
    assert prefers_async(values)


@pytest.mark.parametrize(
    "values",
    [
        None,
        [],
        [""],
        ["return=minimal"],
        ["respond-async-later"],
        ['foo="x, respond-async"'],
        ["wait=respond-async"],
    ],
)
def test_other_preferences_do_not_ask_for_a_job(values: list[str] | None) -> None:
    """A quoted comma does not start a preference, and a value is no preference name."""
    assert not prefers_async(values)


def test_preference_names_drop_values_and_parameters() -> None:
    names = preference_names(['Wait=10; x="1,2", HANDLING=lenient', " respond-async "])
    assert names == {"wait", "handling", "respond-async"}
