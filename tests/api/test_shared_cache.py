"""Caches shared through Redis: replicas serve each other's cached answers and learned persisted
queries; Redis is bounded by the service itself; and Redis going away (stopped, or frozen) never
fails a request, and is used again once it is back. Every Redis here is the test's own."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from api.settings import Settings
from api.shared_cache import BYTES, KEPT, Kept, RedisLink, ResponseCache, SharedCache
from bench.redisserver import RedisServer, redis_server
from schema.bounded import BoundedCache
from tests.conftest import Service, running_service

QUERY = "{ topics { totalCount } }"
ANSWER = {"data": {"topics": {"totalCount": 3}}}


def _shared(settings: Settings, server: RedisServer, timeout_ms: int = 2000) -> Settings:
    # A generous deadline where the test asserts sharing: two busy cores must not make it flaky.
    return settings.model_copy(
        update={"redis_url": server.url, "redis_prefix": "test:", "redis_timeout_ms": timeout_ms}
    )


async def _stats(service: Service) -> dict[str, Any]:
    response = await service.client.get("/cluster/stats")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    stats: dict[str, Any] = response.json()
    return stats


async def test_replicas_serve_each_others_answers_and_persisted_queries(
    settings: Settings, fresh_url: str, tmp_path: Path
) -> None:
    with redis_server(tmp_path) as server:
        shared = _shared(settings, server)
        async with running_service(shared, fresh_url) as a, running_service(shared, fresh_url) as b:
            first = await a.client.get("/graphql", params={"query": QUERY})
            assert first.status_code == 200 and first.headers["detente-cache"] == "miss"
            b.queries.statements.clear()
            other = await b.client.get("/graphql", params={"query": QUERY})
            assert other.headers["detente-cache"] == "shared"
            assert other.content == first.content and other.headers["etag"] == first.headers["etag"]
            assert not any("topic" in s for s in b.queries.statements), "b ran the query itself"
            again = await b.client.get("/graphql", params={"query": QUERY})
            assert again.headers["detente-cache"] == "local"

            rest = await a.client.get("/v1/topics.csv")
            assert rest.status_code == 200 and rest.headers["detente-cache"] == "miss"
            b.queries.statements.clear()
            rest_shared = await b.client.get("/v1/topics.csv")
            assert rest_shared.headers["detente-cache"] == "shared", "REST answers are shared too"
            assert rest_shared.content == rest.content and rest_shared.headers["etag"] == rest.headers["etag"]
            assert rest_shared.headers["content-disposition"] == rest.headers["content-disposition"]
            assert not any("topic" in s for s in b.queries.statements), "b ran the REST query itself"

            query = "{ actors { totalCount } }"
            extensions = {
                "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
            }
            registered = await a.client.post("/graphql", json={"query": query, "extensions": extensions})
            assert "errors" not in registered.json()
            hit = await b.client.post("/graphql", json={"extensions": extensions})
            assert hit.json() == registered.json()

            stats = await _stats(b)
            assert stats["redis"]["configured"] and stats["redis"]["up"]
            assert stats["response_cache"]["shared_hits"] == 2
            assert stats["response_cache"]["local_hits"] == 1
            assert stats["persisted_queries"]["shared_hits"] == 1
            assert (await _stats(a))["response_cache"]["shared_stores"] >= 1


async def test_redis_holds_at_most_its_entries_and_bytes_with_ttls(tmp_path: Path) -> None:
    with redis_server(tmp_path) as server:
        link = RedisLink(server.url, "bounds:", 2000)
        try:
            cache = SharedCache(
                "c", BoundedCache(100, 10**6), link, max_entries=3, max_bytes=1000, ttl_s=60, codec=BYTES
            )
            for i in range(5):
                await cache.put(f"k{i}", b"x" * 100)
            # Another replica (an empty local cache) reads through Redis; a read is a use.
            reader = SharedCache(
                "c", BoundedCache(100, 10**6), link, max_entries=3, max_bytes=1000, ttl_s=60, codec=BYTES
            )
            assert await reader.get("k2") == (b"x" * 100, "shared")
            await cache.put("k5", b"y" * 100)
            with server.client() as r:
                members = {m.decode() for m in r.zrange("bounds:{c}:index", 0, -1)}
                assert members == {"k2", "k4", "k5"}  # k3 was the least recently used
                assert len(r.keys("bounds:{c}:v:*")) == 3
                assert int(r.get("bounds:{c}:bytes") or 0) == 300
                assert 0 < r.pttl("bounds:{c}:v:k5") <= 60_000
                assert 0 < r.pttl("bounds:{c}:index") <= 60_000

                small = SharedCache(
                    "s", BoundedCache(100, 10**6), link, max_entries=100, max_bytes=250, ttl_s=60, codec=BYTES
                )
                for i in range(4):
                    await small.put(f"k{i}", b"z" * 100)
                await small.put("huge", b"z" * 300)  # over the whole budget: never stored
                assert {m.decode() for m in r.zrange("bounds:{s}:index", 0, -1)} == {"k2", "k3"}
                assert int(r.get("bounds:{s}:bytes") or 0) == 200
                assert not r.exists("bounds:{s}:v:huge")
                assert all(k.startswith(b"bounds:") for k in r.keys("*"))
        finally:
            await link.close()


async def test_a_stopped_redis_never_fails_a_request_and_is_used_again_once_back(
    settings: Settings, fresh_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with redis_server(tmp_path) as server:
        async with running_service(_shared(settings, server, 200), fresh_url) as service:
            assert (await service.client.get("/graphql", params={"query": QUERY})).json() == ANSWER
            server.stop()
            caplog.set_level(logging.INFO, logger="detente.redis")
            for first in range(5, 25):  # new documents: each looks in Redis, and stores there
                response = await service.client.get(
                    "/graphql", params={"query": f"{{ events(first: {first}) {{ totalCount }} }}"}
                )
                assert response.status_code == 200 and "errors" not in response.json(), response.text
            stats = (await _stats(service))["redis"]
            assert not stats["up"] and stats["outages"] == 1 and stats["failures"] >= 1
            down = [r for r in caplog.records if r.name == "detente.redis" and r.levelno == logging.WARNING]
            assert len(down) == 1, "an outage is logged once"

            server.start()  # the same port
            for attempt in range(300):  # bounded: the back-off is at most 10 s
                query = f"{{ policies(first: {1 + attempt % 90}) {{ totalCount }} }}"
                response = await service.client.get("/graphql", params={"query": query})
                assert response.status_code == 200, response.text
                if (await _stats(service))["redis"]["up"]:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the service did not use Redis again")
            assert any("redis is back" in r.getMessage() for r in caplog.records)
            fresh = await service.client.get("/graphql", params={"query": "{ metrics { totalCount } }"})
            assert fresh.status_code == 200
            with server.client() as r:
                assert r.zcard("test:{responses}:index") >= 1, "answers are stored in Redis again"


async def test_a_frozen_redis_never_holds_a_request(
    settings: Settings, fresh_url: str, tmp_path: Path
) -> None:
    with redis_server(tmp_path) as server:
        async with running_service(_shared(settings, server, 100), fresh_url) as service:
            assert (await service.client.get("/graphql", params={"query": QUERY})).json() == ANSWER
            server.freeze()
            try:
                answers = await asyncio.gather(
                    *[
                        service.client.get(
                            "/graphql", params={"query": f"{{ events(first: {n}) {{ totalCount }} }}"}
                        )
                        for n in range(1, 11)
                    ]
                )
                assert all(a.status_code == 200 and "errors" not in a.json() for a in answers)
                stats = (await _stats(service))["redis"]
                assert stats["failures"] >= 1 and not stats["up"]
            finally:
                server.thaw()


async def test_without_redis_the_caches_are_the_process_own(service: Service) -> None:
    await service.client.get("/graphql", params={"query": QUERY})
    again = await service.client.get("/graphql", params={"query": QUERY})
    assert again.headers["detente-cache"] == "local"
    stats = await _stats(service)
    assert stats["redis"] == {"configured": False}
    assert json.dumps(stats)  # plain JSON for /metrics and the cluster run


async def test_the_process_keeps_an_answer_as_it_is_and_read_only() -> None:
    """A local hit hands back the kept answer itself (no decoding, no copy of its body), so its
    headers cannot be changed by one request under the next."""
    cache = ResponseCache(SharedCache("r", BoundedCache(10, 10**6), codec=KEPT))
    body = b"x" * 100_000
    await cache.put("k", Kept('"tag"', body, {"link": "<next>"}))
    kept, where = await cache.get("k")
    assert where == "local" and kept is not None
    assert kept.body is body and dict(kept.headers) == {"link": "<next>"}
    with pytest.raises(TypeError):
        kept.headers["link"] = "<elsewhere>"  # type: ignore[index]
    assert KEPT.decode(KEPT.encode(kept)) == kept  # what Redis holds reads back the same
