"""The composition root: the one module that knows every feature of this service.

`Settings` lists the features; everything else follows from that list. Each feature's
fields become sections of the settings, `open_resources` lets each open what it needs,
the HTTP app (when there is one) lets each web feature add its routes, and the CLI lets
each add its commands. To add a feature, write its module under `features/` and list its class here
(see docs/guides/add-a-feature.md).
"""

from __future__ import annotations
{#- Each feature: (module, class, rendered?), most specific first, as `Settings` lists them
    (what a feature uses opens before it and closes after it: jobs come before the clients
    their handlers use; a feature that instruments another's client comes before that
    feature, except the HTTP client's tracing, which the session needs when it opens). The
    conditions match the post-gen hook's MANIFEST (the matrix checks they do). #}
{%- set example_api = cookiecutter.with_example_api and cookiecutter.with_server and (cookiecutter.with_files or cookiecutter.with_s3) %}
{%- set download = cookiecutter.with_http_client and cookiecutter.with_files %}
{%- set features = [
    ("object_index", "ObjectIndexFeature", example_api and cookiecutter.with_database),
    ("object_import", "ObjectImportFeature", example_api and download),
    ("jobs_web", "JobsWebFeature", cookiecutter.with_jobs and cookiecutter.with_server),
    ("jobs", "JobsFeature", cookiecutter.with_jobs),
    ("job_callbacks", "JobCallbacksFeature", cookiecutter.with_jobs and cookiecutter.with_http_client),
    ("job_store_db", "JobStoreDatabaseFeature", cookiecutter.with_jobs and cookiecutter.with_database),
    ("objects", "ObjectsApiFeature", example_api),
    ("metrics", "MetricsFeature", cookiecutter.with_server and cookiecutter.with_metrics),
    ("download", "DownloadFeature", download),
    ("s3_tracing", "S3TracingFeature", cookiecutter.with_otel and cookiecutter.with_s3),
    ("s3", "S3Feature", cookiecutter.with_s3),
    ("database_tracing", "DatabaseTracingFeature", cookiecutter.with_otel and cookiecutter.with_database),
    ("database_web", "DatabaseWebFeature", cookiecutter.with_database and cookiecutter.with_server),
    ("database", "DatabaseFeature", cookiecutter.with_database),
    ("http_client", "HttpClientFeature", cookiecutter.with_http_client),
    ("error_reporting_web", "ErrorReportingWebFeature", cookiecutter.with_sentry and cookiecutter.with_server),
    ("telemetry_web", "TelemetryWebFeature", cookiecutter.with_otel and cookiecutter.with_server),
    ("server", "ServerFeature", cookiecutter.with_server),
    ("http_client_tracing", "HttpClientTracingFeature", cookiecutter.with_otel and cookiecutter.with_http_client),
    ("jobs_tracing", "JobsTracingFeature", cookiecutter.with_otel and cookiecutter.with_jobs),
    ("telemetry", "TelemetryFeature", cookiecutter.with_otel),
    ("error_reporting", "ErrorReportingFeature", cookiecutter.with_sentry),
] | selectattr("2") | list %}

from .config import ServiceSettings
from .features import features_of
{%- for module, name, _ in features | sort(attribute="0") %}
from .features.{{ module }} import {{ name }}
{%- endfor %}


class Settings(
    # Most specific first, like mixins: each feature before the features it uses.
{%- for _, name, _ in features %}
    {{ name }},
{%- endfor %}
    ServiceSettings,
):
    """This service's settings: `logging`, then one section per feature."""


FEATURES = features_of(Settings)

__all__ = ["FEATURES", "Settings"]
