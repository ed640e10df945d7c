"""The composition root: the one module that knows every feature of this service.

`Settings` lists the features; everything else follows from that list. Each feature's
fields become sections of the settings, `open_resources` lets each open what it needs,
the HTTP app (when there is one) lets each web feature add its routes, and the CLI lets
each add its commands. To add a feature, write its module under `features/` and list its class here
(see docs/guides/add-a-feature.md).
"""

from __future__ import annotations
{#- The parts the post-gen hook's MANIFEST derives from the answers, spelled once here. #}
{%- set example_api = cookiecutter.with_example_api and cookiecutter.with_server and (cookiecutter.with_files or cookiecutter.with_s3) %}
{%- set download = cookiecutter.with_http_client and cookiecutter.with_files %}
{%- set metrics = cookiecutter.with_server and cookiecutter.with_metrics %}
{%- set database_web = cookiecutter.with_database and cookiecutter.with_server %}
{%- set object_index = example_api and cookiecutter.with_database %}
{%- set jobs_web = cookiecutter.with_jobs and cookiecutter.with_server %}

from .config import ServiceSettings
from .features import features_of
{%- if cookiecutter.with_database %}
from .features.database import DatabaseFeature
{%- endif %}
{%- if database_web %}
from .features.database_web import DatabaseWebFeature
{%- endif %}
{%- if download %}
from .features.download import DownloadFeature
{%- endif %}
{%- if cookiecutter.with_http_client %}
from .features.http_client import HttpClientFeature
{%- endif %}
{%- if cookiecutter.with_jobs %}
from .features.jobs import JobsFeature
{%- endif %}
{%- if jobs_web %}
from .features.jobs_web import JobsWebFeature
{%- endif %}
{%- if metrics %}
from .features.metrics import MetricsFeature
{%- endif %}
{%- if example_api and download %}
from .features.object_import import ObjectImportFeature
{%- endif %}
{%- if object_index %}
from .features.object_index import ObjectIndexFeature
{%- endif %}
{%- if example_api %}
from .features.objects import ObjectsApiFeature
{%- endif %}
{%- if cookiecutter.with_s3 %}
from .features.s3 import S3Feature
{%- endif %}
{%- if cookiecutter.with_server %}
from .features.server import ServerFeature
{%- endif %}


class Settings(
    # Most specific first, like mixins: each feature before the features it uses.
{%- if object_index %}
    ObjectIndexFeature,
{%- endif %}
{%- if example_api and download %}
    ObjectImportFeature,
{%- endif %}
{%- if jobs_web %}
    JobsWebFeature,
{%- endif %}
{%- if cookiecutter.with_jobs %}
    # After the features whose clients job handlers use: they open first, close after.
    JobsFeature,
{%- endif %}
{%- if example_api %}
    ObjectsApiFeature,
{%- endif %}
{%- if metrics %}
    MetricsFeature,
{%- endif %}
{%- if download %}
    DownloadFeature,
{%- endif %}
{%- if cookiecutter.with_s3 %}
    S3Feature,
{%- endif %}
{%- if database_web %}
    DatabaseWebFeature,
{%- endif %}
{%- if cookiecutter.with_database %}
    DatabaseFeature,
{%- endif %}
{%- if cookiecutter.with_http_client %}
    HttpClientFeature,
{%- endif %}
{%- if cookiecutter.with_server %}
    ServerFeature,
{%- endif %}
    ServiceSettings,
):
    """This service's settings: `logging`, then one section per feature."""


FEATURES = features_of(Settings)

__all__ = ["FEATURES", "Settings"]
