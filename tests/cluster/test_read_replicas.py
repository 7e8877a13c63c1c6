"""DATABASE_READ_URLS over a real streaming replica (`pg_basebackup -R` from the embedded
binaries): API reads go to the replica, a seed load on the primary shows through it once
replayed, and the service keeps answering while the replica is stopped or frozen, then uses it
again."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
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


CLIENTS = 4
DEADLINE_MS = 3_000


async def _replica_stats(service: Service) -> dict[str, Any]:
    stats = (await service.client.get("/cluster/stats")).json()
    found: dict[str, Any] = next(d for d in stats["databases"] if d["database"] == "replica 1")
    return found


Check = Callable[[], Awaitable[bool]]


def _more_reads(service: Service, than: int) -> Check:
    async def check() -> bool:
        return int((await _replica_stats(service))["reads"]) > than

    return check


def _skipped(service: Service, skipped: bool) -> Check:
    async def check() -> bool:
        return bool((await _replica_stats(service))["skipped"]) is skipped

    return check


def _at_least(outcomes: Counter[str], kind: str, count: int) -> Check:
    async def check() -> bool:
        return outcomes[kind] >= count

    return check


def _read_on(service: Service, port: int) -> Check:
    async def check() -> bool:
        return port in service.queries.ports

    return check


async def _until(check: Check, what: str, tries: int = 300) -> None:
    """Polls `check` (an async predicate) every 50 ms; fails after `tries` (bounded, not timed)."""
    for _ in range(tries):
        if await check():
            return
        await asyncio.sleep(0.05)
    pytest.fail(what)


async def test_a_frozen_replica_is_skipped_under_load_and_used_again_once_thawed(
    pair: tuple[PgServer, PgServer],
) -> None:
    """SIGSTOP: the replica accepts connections and never answers, which raises nothing. Under
    load the router learns it is not answering, reads go on from the primary with no error and
    none past its deadline, /ready says so; after SIGCONT the replica is read from again."""
    primary, replica = pair
    primary_url = await _loaded(primary, replica)
    settings = Settings(
        pool_min_size=1,
        pool_max_size=4,
        request_timeout_ms=DEADLINE_MS,
        database_read_urls=[with_database(replica.url, "detente")],
    )
    async with running_service(settings, primary_url) as service:
        expected = await _good(service, EVENTS)
        outcomes: Counter[str] = Counter()
        stop = asyncio.Event()

        async def client() -> None:
            # The client's own bound is well past the service's deadline: reaching it is a hang.
            async with httpx.AsyncClient(base_url=service.url, timeout=DEADLINE_MS / 1000 + 5) as http:
                while not stop.is_set():
                    try:
                        response = await http.post("/graphql", json={"query": EVENTS})
                    except httpx.TimeoutException:
                        outcomes["hung"] += 1
                        continue
                    body = response.json()
                    if response.status_code == 200 and "errors" not in body:
                        outcomes["good" if body["data"] == expected else "wrong"] += 1
                    else:
                        outcomes[f"{response.status_code} error"] += 1

        loops = [asyncio.ensure_future(client()) for _ in range(CLIENTS)]
        try:
            before = (await _replica_stats(service))["reads"]
            await _until(_more_reads(service, before), "the replica was not read from before the freeze")
            await asyncio.to_thread(replica.freeze)
            try:
                await _until(_skipped(service, True), "the router never learnt the frozen replica is down")
                stats = await _replica_stats(service)
                assert stats["not_answering"] >= 1, stats
                service.queries.ports.clear()
                answered = outcomes["good"]
                await _until(
                    _at_least(outcomes, "good", answered + 40), "no answers while the replica is frozen"
                )
                assert set(service.queries.ports) == {primary.port}  # nothing waits on the replica
                ready = await service.client.get("/ready")
                assert ready.status_code == 200
                assert [(d["database"], d["answers"]) for d in ready.json()["databases"]] == [
                    ("primary", True),
                    ("replica 1", False),
                ]
                frozen = dict(outcomes)
            finally:
                await asyncio.to_thread(replica.thaw)
            await _until(_skipped(service, False), "the thawed replica was not probed back")
            service.queries.ports.clear()
            reads = (await _replica_stats(service))["reads"]
            await _until(_more_reads(service, reads), "the thawed replica was not read from again")
            await _until(_read_on(service, replica.port), "no statement ran on the replica again")
        finally:
            stop.set()
            await asyncio.gather(*loops)
    assert outcomes["hung"] == 0, outcomes
    assert outcomes["wrong"] == 0, outcomes
    errors = sum(n for kind, n in outcomes.items() if kind.endswith("error"))
    # At most the requests in flight when the replica froze may fail; none did in practice.
    assert errors <= CLIENTS, (outcomes, frozen)


async def test_the_service_stops_while_its_replica_is_frozen(pair: tuple[PgServer, PgServer]) -> None:
    """Reads abandoned on the frozen replica hold their pool connections until their cancel
    requests are answered, which a frozen server never does: shutdown cuts them instead of
    waiting. (The bound only catches a hang: shutdown waits up to 5 s for the pools.)"""
    primary, replica = pair
    primary_url = await _loaded(primary, replica)
    settings = Settings(
        pool_min_size=1,
        pool_max_size=4,
        request_timeout_ms=DEADLINE_MS,
        database_read_urls=[with_database(replica.url, "detente")],
    )
    service_running = running_service(settings, primary_url)
    service = await service_running.__aenter__()
    try:
        expected = await _good(service, EVENTS)
        await asyncio.to_thread(replica.freeze)
        answers = await asyncio.gather(*(_good(service, EVENTS) for _ in range(2 * CLIENTS)))
        assert answers == [expected] * (2 * CLIENTS)
        assert (await _replica_stats(service))["not_answering"] >= 1
    except BaseException:
        await asyncio.to_thread(replica.thaw)
        await service_running.__aexit__(None, None, None)
        raise
    try:
        await asyncio.wait_for(service_running.__aexit__(None, None, None), 60)
    finally:
        await asyncio.to_thread(replica.thaw)
