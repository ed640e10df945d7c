"""{{ cookiecutter.project_slug }}: an asynchronous Python microservice."""

import json
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("{{ cookiecutter.project_slug }}")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

DISTRIBUTION = "{{ cookiecutter.project_slug }}"
# The human-readable name (the OpenAPI title). Free text, so it is written as JSON data and
# decoded: no quote or backslash in it can end the string or become code.
{%- set name_json = "r'" ~ (cookiecutter.project_name | tojson) ~ "'" %}
{#- ruff's limit is 100 columns: one line while it fits, else split (long one-word lines pass). #}
{%- if (name_json | length) <= 68 %}
PROJECT_NAME: str = json.loads({{ name_json }})
{%- else %}
PROJECT_NAME: str = json.loads(
    {{ name_json }}{{ "  # noqa: E501" if (name_json | length) > 96 and " " in name_json }}
)
{%- endif %}

__all__ = ["DISTRIBUTION", "PROJECT_NAME", "__version__"]
