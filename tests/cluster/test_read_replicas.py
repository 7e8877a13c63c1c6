"""DATABASE_READ_URLS over a real streaming replica (`pg_basebackup -R` from the embedded
binaries): API reads go to the replica, a seed load on the primary shows through it once
replayed, and the service keeps answering while the replica is stopped, then uses it again."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from api.database import with_database
from api.replicas import RETRY_AFTER_S
from api.settings import Settings
from bench.pgserver import PgServer, streaming_pair, wait_replayed
from tests.conftest import FIXTURE_SEEDS, RELEASE_SEEDS, Service, migrate_and_load, running_service

EVENTS = "{ events(first: 5, orderBy: DATE_DESC) { totalCount nodes { slug actors { nodes { slug } } } } }"
RELEASE = "{ release { version contentHash } }"


@pytest.fixture
def pair() -> Iterator[tuple[PgServer, PgServer]]:
    # Not under pytest's tmp_path: concurrent pytest sessions of the machine prune those folders.
    with streaming_pair(Path(tempfile.mkdtemp(prefix="detente-replicas-"))) as servers:
        yield servers


async def _loaded(primary: PgServer, replica: PgServer) -> str:
    """The service database on the primary, loaded with the fixture seeds and replayed."""
    conn = await asyncpg.connect(primary.url)
    try:
        await conn.execute("create database detente")
    finally:
        await conn.close()
    primary_url = with_database(primary.url, "detente")
    await migrate_and_load(primary_url, FIXTURE_SEEDS)
    await wait_replayed(primary.url, replica.url)
    return primary_url


@pytest.fixture
async def cluster(pair: tuple[PgServer, PgServer]) -> AsyncIterator[tuple[Service, PgServer, PgServer]]:
    primary, replica = pair
    primary_url = await _loaded(primary, replica)
    settings = Settings(
        pool_min_size=1, pool_max_size=4, database_read_urls=[with_database(replica.url, "detente")]
    )
    async with running_service(settings, primary_url) as service:
        yield service, primary, replica


async def _good(service: Service, query: str) -> dict[str, Any]:
    body = await service.graphql(query)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]  # type: ignore[assignment]
    return data


async def test_reads_go_to_the_replica_and_ready_names_it(
    cluster: tuple[Service, PgServer, PgServer],
) -> None:
    service, _primary, replica = cluster
    service.queries.ports.clear()
    await _good(service, EVENTS)
    await _good(service, RELEASE)
    assert service.queries.ports and set(service.queries.ports) == {replica.port}
    ready = (await service.client.get("/ready")).json()
    assert ready["status"] == "ready"
    assert ready["databases"] == [
        {"database": "primary", "answers": True, "in_recovery": False},
        {"database": "replica 1", "answers": True, "in_recovery": True},
    ]


async def test_a_seed_load_on_the_primary_shows_through_the_replica_once_replayed(
    cluster: tuple[Service, PgServer, PgServer],
) -> None:
    service, primary, replica = cluster
    before = (await _good(service, RELEASE))["release"]
    await migrate_and_load(with_database(primary.url, "detente"), RELEASE_SEEDS)
    await wait_replayed(primary.url, replica.url)
    service.queries.ports.clear()
    after = (await _good(service, RELEASE))["release"]
    assert set(service.queries.ports) == {replica.port}
    conn = await asyncpg.connect(with_database(primary.url, "detente"))
    try:
        loaded = await conn.fetchval(
            "select content_hash from release order by loaded_at desc, id desc limit 1"
        )
    finally:
        await conn.close()
    assert after["contentHash"] == loaded != before["contentHash"]


async def test_the_service_answers_while_the_replica_is_stopped_and_uses_it_again(
    cluster: tuple[Service, PgServer, PgServer],
) -> None:
    service, primary, replica = cluster
    expected = await _good(service, EVENTS)
    await asyncio.to_thread(replica.stop)
    service.queries.ports.clear()
    for _ in range(10):
        assert await _good(service, EVENTS) == expected
    assert primary.port in service.queries.ports
    ready = (await service.client.get("/ready")).json()
    assert ready["status"] == "ready"
    assert [d["answers"] for d in ready["databases"]] == [True, False]

    await asyncio.to_thread(replica.start)
    await wait_replayed(primary.url, replica.url)
    service.queries.ports.clear()
    for _ in range(int(RETRY_AFTER_S * 20) + 50):  # bounded: the skip ends after RETRY_AFTER_S
        assert await _good(service, EVENTS) == expected
        if service.queries.ports[-1] == replica.port:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the service did not read from the restarted replica again")
    ready = (await service.client.get("/ready")).json()
    assert [d["answers"] for d in ready["databases"]] == [True, True]


async def test_requests_take_turns_and_each_reads_one_database(pair: tuple[PgServer, PgServer]) -> None:
    """Two read URLs (the replica, and the primary listed as a second one, so that the servers
    can be told apart): requests alternate, and all statements of one request go to one server."""
    primary, replica = pair
    primary_url = await _loaded(primary, replica)
    urls = [with_database(replica.url, "detente"), primary_url]
    settings = Settings(pool_min_size=1, pool_max_size=4, database_read_urls=urls)
    async with running_service(settings, primary_url) as service:
        expected = await _good(service, EVENTS)
        seen = []
        for _ in range(6):
            service.queries.ports.clear()
            assert await _good(service, EVENTS) == expected
            assert len(set(service.queries.ports)) == 1, service.queries.ports  # one database
            seen.append(service.queries.ports[0])
        assert set(seen) == {replica.port, primary.port}
        assert all(a != b for a, b in itertools.pairwise(seen)), seen  # round robin
