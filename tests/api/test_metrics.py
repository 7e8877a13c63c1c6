"""/metrics: Prometheus text, scraped after real requests, in one process and across two workers."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from api.database import database_name
from api.settings import Settings
from tests.api.test_workers import DETENTE, REPO, _answering_workers
from tests.conftest import FIXTURE_SEEDS, Databases, Service, running_service
from tests.processes import clean_environment, serving

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _samples(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def _scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return _samples(response.text)


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return _value(after, name, **labels) - _value(before, name, **labels)


async def test_scrape_counts_requests_executors_caches_and_refusals(service: Service, settings: Settings) -> None:
    client = service.client
    before = await _scrape(client)
    query = "{ events(first: 2) { nodes { slug } } }"
    for _ in range(3):
        assert (await client.get("/graphql", params={"query": query})).status_code == 200
    assert (await client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})).status_code == 200
    costly = "{ events(first: 100) { nodes { actors(first: 100) { nodes { events(first: 100) { totalCount } } } } } }"
    refused = await client.post("/graphql", json={"query": costly})
    assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert (await client.post("/graphql", json={"query": "{ nope"})).status_code == 200
    await client.get("/static/no/such/file.js")
    await client.get("/health")
    after = await _scrape(client)

    route = {"route": "/graphql"}
    ok_get = {**route, "method": "GET", "status": "200", "operation": "query"}
    assert _delta(before, after, "detente_http_requests_total", **ok_get) == 3
    assert _delta(before, after, "detente_http_request_duration_seconds_count", **route, operation="query") >= 4
    # Templates, not paths: a request for any static file counts under one route.
    assert _delta(before, after, "detente_http_requests_total", route="/static/{path:path}", method="GET",
                  status="404", operation="") == 1
    assert not any("/no/such" in str(labels) for _, labels in after)
    assert _delta(before, after, "detente_http_requests_total", route="/graphql", method="POST", status="200",
                  operation="invalid") == 1
    # The first GET executed as a plan, and the introspection as a plan's resolver step; the
    # next two GETs came from the response cache.
    assert _delta(before, after, "detente_graphql_executions_total", executor="compiled") >= 2
    # Nothing went to graphql-core's executor as a whole operation.
    assert _delta(before, after, "detente_graphql_executions_total", executor="general") == 0
    assert _delta(before, after, "detente_cache_lookups_total", cache="response", result="hit") == 2
    assert _delta(before, after, "detente_cache_lookups_total", cache="parser", result="hit") >= 1
    assert _delta(before, after, "detente_cache_lookups_total", cache="parser", result="miss") >= 1
    assert _delta(before, after, "detente_cache_lookups_total", cache="validation", result="miss") >= 1
    assert _delta(before, after, "detente_errors_total", code="QUERY_TOO_COSTLY") == 1
    assert _delta(before, after, "detente_errors_total", code="GRAPHQL_PARSE_FAILED") == 1
    assert _delta(before, after, "detente_pool_acquire_seconds_count", pool="pool") >= 1
    assert _value(after, "detente_pool_connections", pool="pool", state="max") == settings.pool_max_size


async def test_statement_timeouts_and_persisted_query_misses_are_counted(
    settings: Settings, databases: Databases, template_url: str
) -> None:
    url = await databases.create(template=database_name(template_url))
    slow = settings.model_copy(update={"statement_timeout_ms": 100})
    async with running_service(slow, url) as service:
        before = await _scrape(service.client)
        lookup = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "a" * 64}}}
        missing = await service.client.post("/graphql", json=lookup)
        assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        # A statement waiting on a lock past statement_timeout is cancelled by Postgres.
        locker = await asyncpg.connect(url)
        try:
            async with locker.transaction():
                await locker.execute("lock table event in access exclusive mode")
                blocked = await service.client.post("/graphql", json={"query": "{ events { totalCount } }"})
        finally:
            await locker.close()
        assert blocked.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        after = await _scrape(service.client)
    assert _delta(before, after, "detente_statement_timeouts_total", route="/graphql") == 1
    assert _delta(before, after, "detente_cache_lookups_total", cache="apq", result="miss") == 1
    assert _delta(before, after, "detente_errors_total", code="PERSISTED_QUERY_NOT_FOUND") == 1


async def test_two_workers_are_scraped_as_one(databases: Databases, tmp_path: Path) -> None:
    env = clean_environment(
        DATABASE_URL=await databases.create(),
        SEEDS_DIR=str(FIXTURE_SEEDS),
        WEB_CONCURRENCY="2",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    async with serving([*DETENTE, "serve"], env, REPO, tmp_path / "serve.log") as served:
        await served.wait_until_ready()
        answered = await _answering_workers(served, 2)
        assert len(answered) == 2, (answered, served.output())
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
            samples = await _scrape(client)
        assert await served.stop() == 0
    # Every worker's requests, whichever worker answered the scrape.
    posts = _value(samples, "detente_http_requests_total", route="/graphql", method="POST", status="200",
                   operation="query")
    assert posts == sum(answered.values()), (answered, posts)
    pids = {dict(labels).get("pid") for name, labels in samples if name == "detente_pool_connections"}
    assert len(pids - {None}) == 2, pids
