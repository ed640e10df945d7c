"""Property test: any free-text answer is refused with one clear line, or kept as inert text."""

import runpy
import tomllib

import pytest
from cookiecutter.exceptions import FailedHookException
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from .conftest import VALID_ANSWERS, Render, load_hook
from .reporting import Ledger

pre_gen = load_hook("pre_gen_project")

INJECTIONS = [
    '"; import os; os.system("touch PWNED") #',
    "'''); open('PWNED', 'w'); ('''",
    '"""); open("PWNED", "w"); ("""',
    '" \n[tool.evil]\nx = "',
    "$(touch PWNED) `touch PWNED`",
    '\\u0022 \\" \\\\ \\n',
    "</script><script>alert(1)</script>",
]
# Quotes, backslashes, control characters, unicode from several planes, and injection snippets.
hostile_text = st.one_of(
    st.sampled_from(INJECTIONS),
    st.text(
        alphabet=st.one_of(
            st.sampled_from(list("\"'\\`$;#[]{}=\n\r\t\x00")),
            st.characters(codec="utf-8", exclude_categories=("Cs",)),
        ),
        min_size=1,
        max_size=40,
    ),
    st.builds(lambda a, b: a + b, st.sampled_from(INJECTIONS), st.text(max_size=10)),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(field=st.sampled_from(["description", "author_name", "project_name"]), text=hostile_text)
def test_free_text_is_refused_clearly_or_kept_verbatim(
    render: Render,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    ledger: Ledger,
    field: str,
    text: str,
) -> None:
    # cookiecutter itself evaluates Jinja in non-interactive answers; the hook refuses those
    # delimiters for interactive ones (tested in test_pre_gen_hook.py).
    assume(not any(d in text for d in ("{{", "{%", "{#")))
    with ledger.case("template_input"):
        check_answer(render, tmp_path_factory, monkeypatch, field, text)


def check_answer(
    render: Render,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    field: str,
    text: str,
) -> None:
    workdir = tmp_path_factory.mktemp("hostile")
    monkeypatch.chdir(workdir)
    # The slug is derived from the project name by default: keep it valid and fixed.
    answers = {field: text, "project_slug": VALID_ANSWERS["project_slug"]}
    problem = pre_gen.first_error({**VALID_ANSWERS, **answers})
    try:
        project = render(output_dir=workdir / "out", **answers)
    except FailedHookException:
        assert problem is not None, "refused by the hook for a reason it can state"
        assert "\n" not in problem
        assert problem.startswith(f"ERROR: {field}=")
        return
    assert problem is None
    assert not list(workdir.rglob("PWNED")), "nothing from the answers is executed"
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    if field == "description":
        assert pyproject["project"]["description"] == text
        assert text in (project / "README.md").read_text(encoding="utf-8")
    elif field == "project_name":
        init = project / "src" / VALID_ANSWERS["package_name"] / "__init__.py"
        assert runpy.run_path(str(init))["PROJECT_NAME"] == text
    else:
        assert pyproject["project"]["authors"][0]["name"] == text
        assert text in (project / "LICENSE").read_text(encoding="utf-8")
