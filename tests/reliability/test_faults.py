"""Issue 9, findings 3, 4, 6 (deadline), 9 and 10: a database that goes away, locks up or
freezes, and clients that are slow or many. Each fault is made for real: a database closed to
connections on the shared server (a database of this run only), a table lock, a Postgres of the
test's own frozen with SIGSTOP, raw sockets that stall."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from api.database import database_name
from api.settings import Settings
from bench.pgserver import PgServer, pg_server
from tests.conftest import FIXTURE_SEEDS, Databases, migrate_and_load, running_service

GRAPHQL_RESPONSE = "application/graphql-response+json"
QUERY = "{ events(first: 5) { nodes { slug title actors { nodes { slug } } } } }"


@contextlib.asynccontextmanager
async def outage(server_url: str, database_url: str) -> AsyncIterator[None]:
    """The database refuses every connection, and its open sessions are cut."""
    name = database_name(database_url)
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'alter database "{name}" allow_connections false')
        await conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
            name,
        )
        # pg_terminate_backend only signals: wait until the sessions are really gone.
        for _ in range(100):
            if not await conn.fetchval("select count(*) from pg_stat_activity where datname = $1", name):
                break
            await asyncio.sleep(0.02)
        yield
    finally:
        await conn.execute(f'alter database "{name}" allow_connections true')
        await conn.close()


def assert_json_error(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith(
        ("application/graphql-response+json", "application/json")
    )
    assert response.headers.get("x-request-id")
    body: dict[str, Any] = response.json()
    assert body["errors"], body
    assert "Traceback" not in response.text and "asyncpg" not in response.text
    return body


async def test_an_answer_with_an_error_is_never_cached(
    settings: Settings, server_url: str, fresh_url: str
) -> None:
    async with running_service(settings, fresh_url) as service:
        good = await service.client.get("/graphql", params={"query": "{ release { version } }"})
        assert good.status_code == 200 and good.headers["etag"]
        async with outage(server_url, fresh_url):
            during = await service.client.get("/graphql", params={"query": QUERY})
            body = assert_json_error(during)
            assert body["errors"][0]["extensions"]["code"] in ("INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE")
            assert "etag" not in during.headers
            assert during.headers["cache-control"] == "no-store"
            # A good answer cached before the outage is still served, and still validates.
            again = await service.client.get(
                "/graphql",
                params={"query": "{ release { version } }"},
                headers={"if-none-match": good.headers["etag"]},
            )
            assert again.status_code == 304
        after = await service.client.get("/graphql", params={"query": QUERY})
        assert after.status_code == 200
        assert "errors" not in after.json() and after.json()["data"]["events"]["nodes"]
        assert after.headers["cache-control"].startswith("public")


async def test_get_during_an_outage_is_a_json_503(
    settings: Settings, server_url: str, fresh_url: str
) -> None:
    async with running_service(settings, fresh_url) as service, outage(server_url, fresh_url):
        response = await service.client.get(
            "/graphql", params={"query": QUERY}, headers={"accept": GRAPHQL_RESPONSE}
        )
        assert response.status_code == 503
        error = assert_json_error(response)["errors"][0]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert error["extensions"]["requestId"] == response.headers["x-request-id"]
        assert response.headers["retry-after"]
        posted = await service.client.post("/graphql", json={"query": QUERY})
        assert_json_error(posted)
        ready = await service.client.get("/ready")
        assert ready.status_code == 503


async def test_a_request_past_its_deadline_is_stopped(settings: Settings, fresh_url: str) -> None:
    quick = settings.model_copy(update={"request_timeout_ms": 1500})
    lock = await asyncpg.connect(fresh_url)
    try:
        async with running_service(quick, fresh_url) as service:
            await lock.execute("begin; lock table event in access exclusive mode")
            stuck = asyncio.ensure_future(
                service.client.post("/graphql", json={"query": "{ events { totalCount } }"})
            )
            health = await service.client.get("/health")
            assert health.status_code == 200 and not stuck.done()  # the loop is free meanwhile
            response = await stuck
            assert response.status_code == 504
            assert assert_json_error(response)["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
            # Its statement was cancelled at the deadline, not left waiting on the lock.
            assert await _until_lock_waiters(lock, lambda n: n == 0) == 0
            await lock.execute("rollback")
            assert (await service.graphql("{ events { totalCount } }"))["data"]
    finally:
        await lock.close()


async def _until_lock_waiters(conn: asyncpg.Connection, done: Callable[[int], bool]) -> int:
    """The number of the service's statements waiting on a lock, once `done` holds of it (or
    after a bounded wait)."""
    count = 0
    for _ in range(100):
        count = await conn.fetchval(
            "select count(*) from pg_stat_activity where application_name = 'detente' and wait_event_type = 'Lock'"
        )
        if done(count):
            break
        await asyncio.sleep(0.05)
    return int(count)


async def _exchange(port: int, data: bytes, wait: float = 5.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), wait)  # until the server closes
    finally:
        writer.close()


def _status_and_body(raw: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


async def test_slow_and_flooding_clients(settings: Settings, databases: Databases, template_url: str) -> None:
    strict = settings.model_copy(
        update={
            "header_timeout_s": 0.5,
            "body_timeout_s": 0.5,
            "max_connections": 5,
            "max_header_bytes": 4096,
        }
    )
    url = await databases.create(template=database_name(template_url))
    async with running_service(strict, url) as service:
        port = int(service.url.rsplit(":", 1)[1])

        status, body = _status_and_body(await _exchange(port, b"GET /health HTTP/1.1\r\nHost: x\r\n"))
        assert status == 408 and body["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"

        stalled = b"POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(stalled)
        status, body = _status_and_body(await asyncio.wait_for(reader.read(4096), 5))
        writer.close()
        assert status == 408 and "did not arrive" in body["errors"][0]["message"]

        status, body = _status_and_body(
            await _exchange(port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 5000 + b"\r\n")
        )
        assert status == 431 and body["errors"][0]["extensions"]["code"] == "HEADERS_TOO_LARGE"

        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(5)]
        try:
            status, body = _status_and_body(await _exchange(port, b""))
            assert status == 503 and body["errors"][0]["extensions"]["code"] == "SERVICE_OVERLOADED"
        finally:
            for _, writer in idle:
                writer.close()
        await asyncio.sleep(0.1)
        assert (await service.client.get("/health")).status_code == 200


async def test_a_frozen_database_costs_errors_only_while_frozen(settings: Settings, tmp_path: Path) -> None:
    quick = settings.model_copy(update={"request_timeout_ms": 1500, "pool_timeout_ms": 1000})
    with pg_server(tmp_path / "pg") as server:
        await migrate_and_load(server.url, FIXTURE_SEEDS)
        async with running_service(quick, server.url) as service:
            assert (await service.graphql(QUERY))["data"]
            server.freeze()
            try:
                ready, posted, health = await asyncio.gather(
                    service.client.get("/ready"),
                    service.client.post("/graphql", json={"query": QUERY}),
                    service.client.get("/health"),
                )
                assert ready.status_code == 503
                assert health.status_code == 200
                assert posted.status_code == 504
                assert_json_error(posted)
            finally:
                server.thaw()
            await _until_answers(service.client, server)


async def _until_answers(client: httpx.AsyncClient, server: PgServer) -> None:
    for _ in range(100):
        response = await client.post("/graphql", json={"query": QUERY})
        if response.status_code == 200 and "errors" not in response.json():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no good answer after the fault ended: {response.text[:300]}")


async def test_requests_past_the_in_flight_cap_get_a_json_503(settings: Settings, fresh_url: str) -> None:
    capped = settings.model_copy(update={"max_requests_in_flight": 1, "request_timeout_ms": 3000})
    lock = await asyncpg.connect(fresh_url)
    try:
        async with running_service(capped, fresh_url) as service:
            await lock.execute("begin; lock table event in access exclusive mode")
            held = asyncio.ensure_future(
                service.client.post("/graphql", json={"query": "{ events { totalCount } }"})
            )
            assert await _until_lock_waiters(lock, lambda n: n > 0)  # the held request is in flight
            assert (await service.client.get("/health")).status_code == 200  # probes are exempt
            refused = await service.client.get("/graphql", params={"query": "{ release { version } }"})
            assert refused.status_code == 503
            assert assert_json_error(refused)["errors"][0]["extensions"]["code"] == "SERVICE_OVERLOADED"
            await lock.execute("rollback")
            assert (await held).status_code == 200
            assert (await service.client.get("/health")).status_code == 200
    finally:
        await lock.close()


async def test_a_rest_answer_during_an_outage_is_a_problem_never_cached(
    settings: Settings, server_url: str, fresh_url: str
) -> None:
    async with running_service(settings, fresh_url) as service:
        good = await service.client.get("/v1/topics")
        assert good.status_code == 200 and good.headers["etag"]
        async with outage(server_url, fresh_url):
            during = await service.client.get("/v1/events", params={"limit": 3})
            assert during.status_code in (500, 503), during.text
            assert during.headers["content-type"] == "application/problem+json"
            body = during.json()
            assert body["code"] in ("INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE") and body["requestId"]
            assert "Traceback" not in during.text and "asyncpg" not in during.text
            assert "etag" not in during.headers and during.headers["cache-control"] == "no-store"
            chart = await service.client.get("/v1/timeline.svg", params={"interval": "YEAR"})
            assert chart.status_code in (500, 503) and chart.headers["content-type"] == "application/problem+json"
            assert "etag" not in chart.headers
            # What was cached before the outage is still served, and still validates.
            again = await service.client.get("/v1/topics", headers={"if-none-match": good.headers["etag"]})
            assert again.status_code == 304
        after = await service.client.get("/v1/events", params={"limit": 3})
        assert after.status_code == 200 and len(after.json()["items"]) == 3
        assert after.headers["cache-control"].startswith("public")
