"""Prometheus metrics: a per-app registry, a pure-ASGI recording middleware and GET /metrics."""

from __future__ import annotations

from bisect import bisect_left
from itertools import accumulate
from time import perf_counter
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from starlette.responses import Response

from ..features.metrics import METRICS_PATH

if TYPE_CHECKING:
    from collections.abc import Iterator

    from prometheus_client.metrics_core import Metric
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Requests no route matched share one label value, so random paths cannot explode cardinality;
# so do methods outside the standard set (a client can send any token as a method).
UNMATCHED_ROUTE = "unmatched"
OTHER_METHOD = "other"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# prometheus_client's default histogram buckets, in seconds (+Inf is implied).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
# The `le` labels, written as prometheus_client writes these bounds ("0.005", "1.0", "10.0").
_BUCKET_LABELS = (*(str(bound) for bound in DURATION_BUCKETS), "+Inf")


class HttpCollector:
    """Request counts, durations and requests in progress, kept as plain numbers.

    prometheus_client's Counter and Histogram take a lock and validate labels on every
    update, several microseconds per request; here an update is a few dict and list
    operations. The middleware and /metrics both run on the event loop thread, so no lock is
    needed. The numbers become metric families only when /metrics is scraped.
    """

    def __init__(self) -> None:
        self.in_progress = 0
        # Per (method, route, status): one count per duration bucket (the last is +Inf), then
        # the sum of the durations. Request counts and per-route histograms are sums of these.
        self._series: dict[tuple[str, str, int], list[float]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        series = self._series.get((method, route, status))
        if series is None:
            series = self._series[method, route, status] = [0.0] * (len(DURATION_BUCKETS) + 2)
        # bisect_left: the first bucket whose bound is >= seconds (buckets are "le").
        series[bisect_left(DURATION_BUCKETS, seconds)] += 1
        series[-1] += seconds

    def describe(self) -> list[Metric]:
        """The metric names, so the registry refuses a second collector that reuses them."""
        return [self._requests_family(), self._duration_family(), self._in_progress_family()]

    def collect(self) -> Iterator[Metric]:
        requests = self._requests_family()
        durations: dict[tuple[str, str], list[float]] = {}
        for (method, route, status), series in sorted(self._series.items()):
            requests.add_metric((method, route, str(status)), sum(series[:-1]))
            total = durations.setdefault((method, route), [0.0] * len(series))
            for index, value in enumerate(series):
                total[index] += value
        yield requests
        duration = self._duration_family()
        for (method, route), series in durations.items():
            cumulative = accumulate(series[:-1])
            duration.add_metric(
                (method, route), list(zip(_BUCKET_LABELS, cumulative, strict=True)), series[-1]
            )
        yield duration
        in_progress = self._in_progress_family()
        in_progress.add_metric((), self.in_progress)
        yield in_progress

    @staticmethod
    def _requests_family() -> CounterMetricFamily:
        return CounterMetricFamily(
            "http_requests",
            "HTTP requests by method, route template and status code.",
            labels=("method", "route", "status"),
        )

    @staticmethod
    def _duration_family() -> HistogramMetricFamily:
        return HistogramMetricFamily(
            "http_request_duration_seconds",
            "Time from receiving a request to the end of its response.",
            labels=("method", "route"),
        )

    @staticmethod
    def _in_progress_family() -> GaugeMetricFamily:
        return GaugeMetricFamily("http_requests_in_progress", "HTTP requests being handled.")


class Metrics:
    """The collectors of one application.

    Each app gets its own registry instead of prometheus_client's global one, so creating
    several apps in one process (tests, workers) never registers a metric twice.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.http = HttpCollector()
        self.registry.register(self.http)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.http = metrics.http

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        status = 500  # unless the app starts a response, it failed
        started = perf_counter()

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        http = self.http
        http.in_progress += 1
        try:
            await self.app(scope, receive, recording_send)
        finally:
            http.in_progress -= 1
            # The router stores the matched route in the scope; its path is the template.
            route = getattr(scope.get("route"), "path", UNMATCHED_ROUTE)
            method = scope["method"]
            http.observe(
                method if method in KNOWN_METHODS else OTHER_METHOD,
                route,
                status,
                perf_counter() - started,
            )


router = APIRouter(tags=["metrics"])


@router.get(METRICS_PATH, include_in_schema=False)
async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)


__all__ = ["HttpCollector", "Metrics", "MetricsMiddleware", "router"]
