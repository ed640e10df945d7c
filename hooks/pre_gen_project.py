"""Validate the answers before anything is generated.

Each failure prints ONE line naming the field, the bad value and the rule, and exits 1;
cookiecutter then removes the half-created output directory. The answers are read as JSON
data (never pasted into this source), so quotes or code in an answer cannot change the hook.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13", "3.14")

# Import names of everything a fully featured project installs (runtime dependencies, dev
# tools and what they pull in), plus its `tests` package: a package of the same name would
# shadow the real module. A template test checks that the runtime closure and the dev tools
# are all here.
DEPENDENCY_MODULES = frozenset(
    {
        "aioboto3",
        "aiobotocore",
        "aiofiles",
        "aiohappyeyeballs",
        "aiohttp",
        "aioitertools",
        "aioshutil",
        "aiosignal",
        "aiosqlite",
        "alembic",
        "annotated_doc",
        "annotated_types",
        "antlr4",
        "anyio",
        "ast_serialize",
        "async_timeout",
        "asyncpg",
        "attr",
        "attrs",
        "aws_xray_sdk",
        "blinker",
        "boto3",
        "botocore",
        "certifi",
        "cffi",
        "cfnlint",
        "charset_normalizer",
        "click",
        "cryptography",
        "dateutil",
        "docker",
        "dotenv",
        "fastapi",
        "fastapi_offline",
        "flask",
        "flask_cors",
        "frozenlist",
        "google",
        "graphql",
        "greenlet",
        "h11",
        "httpcore",
        "httptools",
        "httpx",
        "idna",
        "iniconfig",
        "isympy",
        "itsdangerous",
        "jinja2",
        "jmespath",
        "joserfc",
        "jsonpatch",
        "jsonpatch_cli",
        "jsonpath_ng",
        "jsonpointer",
        "jsonschema",
        "jsonschema_path",
        "jsonschema_specifications",
        "lazy_object_proxy",
        "librt",
        "mako",
        "markdown_it",
        "markupsafe",
        "mdurl",
        "moto",
        "mpmath",
        "multidict",
        "mypy",
        "mypy_extensions",
        "mypyc",
        "networkx",
        "openapi_schema_validator",
        "openapi_spec_validator",
        "opentelemetry",
        "packaging",
        "pathable",
        "pathspec",
        "pluggy",
        "pre_commit",
        "prometheus_client",
        "propcache",
        "py",
        "py_partiql_parser",
        "pycparser",
        "pycron",
        "pydantic",
        "pydantic_core",
        "pydantic_settings",
        "pygments",
        "pyparsing",
        "pytest",
        "pytest_asyncio",
        "pytest_xdist",
        "redis",
        "referencing",
        "regex",
        "requests",
        "responses",
        "rfc3339_validator",
        "rich",
        "rpds",
        "ruff",
        "s3transfer",
        "sentry_sdk",
        "shellingham",
        "six",
        "sqlalchemy",
        "standardwebhooks",
        "starlette",
        "sympy",
        "taskiq",
        "taskiq_dependencies",
        "taskiq_redis",
        "tests",
        "typer",
        "types_aiobotocore_s3",
        "types_aiofiles",
        "typing_extensions",
        "typing_inspection",
        "urllib3",
        "uvicorn",
        "uvloop",
        "werkzeug",
        "wrapt",
        "xdist",
        "xmltodict",
        "yaml",
        "yarl",
    }
)

# Long names would push generated import lines past the line-length limit.
MAX_NAME_LENGTH = 40
# Not in sys.stdlib_module_names, yet shipped with CPython (its regression-test package).
UNLISTED_STDLIB = ("test",)

SLUG_RE = re.compile(r"[a-z][a-z0-9-]*[a-z0-9]")
PACKAGE_RE = re.compile(r"[a-z][a-z0-9_]*")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# PEP 440 public version in canonical form: [N!]N(.N)*[{a|b|rc}N][.postN][.devN]
VERSION_RE = re.compile(
    r"([1-9][0-9]*!)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*"
    r"((a|b|rc)(0|[1-9][0-9]*))?(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?"
)
# Free text lands in one-line fields (pyproject `description`, author name): no control chars.
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# cookiecutter renders non-interactive answers (and cruft re-renders the stored ones on every
# update) as Jinja: an answer holding these would be evaluated instead of kept as text.
# Spelled with chr(): cookiecutter renders this file with Jinja before running it.
_LB, _RB = chr(123), chr(125)
JINJA_DELIMITERS = (_LB * 2, _RB * 2, _LB + "%", "%" + _RB, _LB + "#", "#" + _RB)


def check_slug(value: str) -> str | None:
    if not SLUG_RE.fullmatch(value):
        return "must match ^[a-z][a-z0-9-]*[a-z0-9]$ (lowercase letters, digits and hyphens)"
    if len(value) > MAX_NAME_LENGTH:
        return f"must be at most {MAX_NAME_LENGTH} characters"
    return None


def check_package(value: str) -> str | None:
    if not PACKAGE_RE.fullmatch(value):
        return "must be a lowercase Python identifier starting with a letter"
    if len(value) > MAX_NAME_LENGTH:
        return f"must be at most {MAX_NAME_LENGTH} characters"
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return "must not be a Python keyword"
    if value in sys.stdlib_module_names or value in UNLISTED_STDLIB:
        return "must not shadow a standard-library module"
    if value in DEPENDENCY_MODULES:
        return "must not shadow a dependency's module"
    return None


def check_email(value: str) -> str | None:
    return None if EMAIL_RE.fullmatch(value) else "must look like name@domain.tld"


def check_version(value: str) -> str | None:
    if VERSION_RE.fullmatch(value):
        return None
    return "must be a canonical PEP 440 version (e.g. 0.1.0)"


def check_python(value: str) -> str | None:
    if value in SUPPORTED_PYTHONS:
        return None
    return "must be one of " + ", ".join(SUPPORTED_PYTHONS)


def check_single_line(value: str) -> str | None:
    if not value.strip():
        return "must not be empty"
    if CONTROL_RE.search(value):
        return "must be a single line without control characters"
    if any(delimiter in value for delimiter in JINJA_DELIMITERS):
        return "must not contain Jinja delimiters (" + " ".join(JINJA_DELIMITERS) + ")"
    return None


# Ordered so the first line printed is about the first prompt the user answered.
RULES: tuple[tuple[str, Callable[[str], str | None]], ...] = (
    ("project_name", check_single_line),
    ("project_slug", check_slug),
    ("package_name", check_package),
    ("description", check_single_line),
    ("author_name", check_single_line),
    ("author_email", check_email),
    ("version", check_version),
    ("python_version", check_python),
)


def first_error(answers: Mapping[str, Any]) -> str | None:
    """Return the message for the first invalid answer, or None when all are valid."""
    for field, rule in RULES:
        value = answers.get(field)
        problem = rule(value) if isinstance(value, str) else "must be a string"
        if problem is not None:
            return f"ERROR: {field}={value!r} {problem}"
    return None


def main(answers: Mapping[str, Any]) -> int:
    error = first_error(answers)
    if error is not None:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # tojson escapes ' as \u0027, so no answer can close this raw string.
    sys.exit(main(json.loads(r'''{{ cookiecutter | tojson }}''')))  # fmt: skip
