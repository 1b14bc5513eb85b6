"""Prometheus metrics.

Counters are declared here and incremented where things happen. Under gunicorn
they are shared between workers through prometheus-client's multiprocess mode:
set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory before starting gunicorn
and the forwarder (gunicorn.conf.py cleans up after dead workers). Gauges that
describe stored state (outbox depth, request queue) are read from the database
when /metrics is scraped, so every process reports the same truth.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

HTTP_REQUESTS = Counter(
    "gateway_http_requests_total",
    "HTTP requests answered, by endpoint and status.",
    ["endpoint", "method", "status"],
)
COLLECT_EVENTS = Counter(
    "gateway_collect_events_total",
    "Analytics events received, by result (event, aggregate, dropped) and drop reason.",
    ["result", "reason"],
)
CONSENT_DECISIONS = Counter(
    "gateway_consent_decisions_total",
    "Consent decisions recorded, by outcome.",
    ["outcome"],
)
FORWARD_ATTEMPTS = Counter(
    "gateway_forward_attempts_total",
    "Measurement Protocol requests attempted, by upstream status (or error kind).",
    ["status"],
)

GAUGES_KEY = "gateway.metric_gauges"


@dataclass(frozen=True)
class StateGauge:
    """A gauge read from stored state at scrape time: ``read()`` yields (labels, value)."""

    name: str
    help: str
    labels: tuple[str, ...]
    read: Callable[[], Iterable[tuple[tuple[str, ...], float]]]
    # Read after every other gauge of the scrape (a gauge that reports on the others).
    last: bool = False


def register_gauge(app: Flask, gauge: StateGauge) -> None:
    app.extensions.setdefault(GAUGES_KEY, []).append(gauge)


class _StateCollector(Collector):
    def __init__(self, gauges: Iterable[StateGauge]) -> None:
        self._gauges = sorted(gauges, key=lambda gauge: gauge.last)

    def collect(self) -> Iterable[Metric]:
        for gauge in self._gauges:
            family = GaugeMetricFamily(gauge.name, gauge.help, labels=list(gauge.labels))
            for labels, value in gauge.read():
                family.add_metric(list(labels), value)
            yield family


def exposition(app: Flask) -> bytes:
    """The text exposition of every counter (all processes) and every state gauge."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for counter in (HTTP_REQUESTS, COLLECT_EVENTS, CONSENT_DECISIONS, FORWARD_ATTEMPTS):
            registry.register(counter)
    registry.register(_StateCollector(app.extensions.get(GAUGES_KEY, [])))
    return generate_latest(registry)


def metrics_response(app: Flask) -> Response:
    return Response(exposition(app), mimetype=CONTENT_TYPE_LATEST)


# The labelled children of HTTP_REQUESTS, by (endpoint, method, status):
# labels() validates and locks on every call, and this runs on every response.
# Counters are never cleared, so a child stays the one the registry exports.
_request_counters: dict[tuple[str, str, int], Any] = {}


def count_request(endpoint: str, method: str, status: int) -> None:
    key = (endpoint, method, status)
    counter = _request_counters.get(key)
    if counter is None:
        counter = HTTP_REQUESTS.labels(endpoint, method, str(status))
        _request_counters[key] = counter
    counter.inc()


_collect_counters: dict[tuple[str, str], Any] = {}


def count_collect_events(result: str, reason: str, count: int) -> None:
    key = (result, reason)
    counter = _collect_counters.get(key)
    if counter is None:
        counter = COLLECT_EVENTS.labels(result, reason)
        _collect_counters[key] = counter
    counter.inc(count)


def _count_request(response: Response) -> Response:
    count_request(request.endpoint or "unmatched", request.method, response.status_code)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_count_request)
