"""Prometheus metrics (`GET /metrics`, the text format), one definition each.

With several workers (`detente serve` with WEB_CONCURRENCY > 1) each process writes its values
to files in PROMETHEUS_MULTIPROC_DIR (made and emptied by `serve` when unset) and a scrape of
any worker reads them all (prometheus-client's multiprocess mode). Labels are bounded: routes
are templates (`/static/{path:path}`), never raw paths; codes and kinds come from fixed sets.
"""

from __future__ import annotations

import os
from typing import Any, TypeVar

import asyncpg
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from api.metrics_dir import MULTIPROC_ENV
from schema import bounded

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "detente_http_requests",
    "HTTP requests answered, by route template, method, status and GraphQL operation kind.",
    ["route", "method", "status", "operation"],
)
LATENCY = Histogram(
    "detente_http_request_duration_seconds",
    "Time to answer a request, by route template and GraphQL operation kind.",
    ["route", "operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EXECUTIONS = Counter(
    "detente_graphql_executions",
    "Operations executed: `compiled` (a plan), `general` (graphql-core), `fallback` (a plan "
    "handed back to the general executor).",
    ["executor"],
)
ERRORS = Counter(
    "detente_errors",
    "Errors sent to clients, by stable code (limit refusals such as QUERY_TOO_COSTLY among them).",
    ["code"],
)
CACHE_LOOKUPS = Counter(
    "detente_cache_lookups",
    "Lookups in the bounded caches (response, apq, parser, validation, plan), hit or miss.",
    ["cache", "result"],
)
STATEMENT_TIMEOUTS = Counter(
    "detente_statement_timeouts", "Statements Postgres cancelled at STATEMENT_TIMEOUT_MS.", ["route"]
)
DEADLINES = Counter(
    "detente_request_deadline_exceeded",
    "Requests, GraphQL or REST, stopped at REQUEST_TIMEOUT_MS (answered 504).",
    ["route"],
)
POOL_CONNECTIONS = Gauge(
    "detente_pool_connections",
    "Connections of each asyncpg pool: open (`size`), idle, and the most it may open (`max`).",
    ["pool", "state"],
    multiprocess_mode="all",
)
POOL_WAIT = Histogram(
    "detente_pool_acquire_seconds",
    "Time to get a connection from a pool (an idle one is microseconds; longer is waiting).",
    ["pool"],
    buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5),
)
POOL_DISCARDED = Counter(
    "detente_pool_connections_discarded",
    "Pooled connections closed on release because a statement on them was cancelled.",
    ["pool"],
)
POOL_TIMEOUTS = Counter(
    "detente_pool_acquire_timeouts", "Waits for a connection past POOL_TIMEOUT_MS.", ["pool"]
)


_Metric = TypeVar("_Metric", Counter, Gauge, Histogram)
_CHILDREN: dict[tuple[int, tuple[str, ...]], Any] = {}


def child(metric: _Metric, *values: str) -> _Metric:
    """`metric.labels(*values)`, kept: prometheus-client takes a lock and checks the values on
    every call, which the per-request paths pay several times (2% of a lookup's CPU, measured
    with py-spy). The label values are bounded (see above), so this is too."""
    key = (id(metric), values)
    found = _CHILDREN.get(key)
    if found is None:
        found = _CHILDREN[key] = metric.labels(*values)
    labelled: _Metric = found
    return labelled


def _observe_cache(name: str, hit: bool) -> None:
    child(CACHE_LOOKUPS, name, "hit" if hit else "miss").inc()


bounded.observe_lookup = _observe_cache


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def observe_request(scope: Scope, status: int, seconds: float) -> None:
    route = route_template(scope)
    operation = scope.get("state", {}).get("operation", "")
    method = scope["method"] if scope["method"] in _METHODS else "OTHER"
    child(REQUESTS, route, method, str(status), operation).inc()
    child(LATENCY, route, operation).observe(seconds)


def observe_pool(name: str, pool: asyncpg.Pool) -> None:
    child(POOL_CONNECTIONS, name, "size").set(pool.get_size())
    child(POOL_CONNECTIONS, name, "idle").set(pool.get_idle_size())
    child(POOL_CONNECTIONS, name, "max").set(pool.get_max_size())


def scrape() -> bytes:
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


async def endpoint(request: Request) -> Response:
    for name in ("pool", "lookup_pool"):
        pool = getattr(request.state, name, None)
        if pool is not None:
            observe_pool(name, pool)
    return Response(scrape(), media_type=CONTENT_TYPE_LATEST, headers={"cache-control": "no-store"})
