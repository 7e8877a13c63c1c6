"""Every replica follows a seed load at once (LISTEN/NOTIFY): two service processes on one database
answer with the new ETag and data after `detente db seed`, again after their listening
connections are terminated, and a service listens again after its Postgres restarts."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from api.release_events import LISTENER_NAME, ReleaseEvents
from api.release_tag import ReleaseTag
from api.settings import Settings
from bench.pgserver import pg_server
from db.release import RELEASE_CHANNEL
from db.seed import load_seeds
from tests.conftest import FIXTURE_SEEDS, migrate_and_load, running_service
from tests.processes import clean_environment, run, serving

REPO = Path(__file__).resolve().parents[2]
DETENTE = [sys.executable, "-m", "api.cli"]
QUERY = {"query": "{ topics(first: 5) { nodes { name } } }"}
POLLS = 300  # bounded waits: 300 × 0.1 s, a bound for a broken listener to fail, not a measurement


def _rename_topic(seeds: Path, old: str, new: str) -> None:
    topics = seeds / "topics.yaml"
    text = topics.read_text()
    assert f"name: {old}\n" in text
    topics.write_text(text.replace(f"name: {old}\n", f"name: {new}\n"))


async def _stats(client: httpx.AsyncClient) -> dict[str, Any]:
    release: dict[str, Any] = (await client.get("/cluster/stats")).json()["release"]
    return release


async def _until(clients: Sequence[httpx.AsyncClient], ready: Any) -> None:
    """Polls until `await ready(client)` is true for every client."""
    for _ in range(POLLS):
        if all([await ready(c) for c in clients]):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("not every replica got there")


async def _until_all_answer(clients: Sequence[httpx.AsyncClient], name: str, old_etag: str) -> str:
    etags: set[str] = set()

    async def answers(client: httpx.AsyncClient) -> bool:
        response = await client.get("/graphql", params=QUERY)
        if response.status_code != 200 or response.headers.get("etag") == old_etag:
            return False  # not yet (or, after a restart, the pool is not back yet)
        names = [n["name"] for n in response.json()["data"]["topics"]["nodes"]]
        assert name in names, "a new ETag with the old data"
        etags.add(response.headers["etag"])
        return True

    await _until(clients, answers)
    assert len(etags) == 1, etags
    return etags.pop()


async def test_every_replica_follows_a_seed_load(fresh_url: str, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(FIXTURE_SEEDS, seeds)
    env = clean_environment(DATABASE_URL=fresh_url, SEEDS_DIR=str(seeds), LOG_LEVEL="warning")
    command = [*DETENTE, "serve"]
    async with (
        serving(command, env, REPO, tmp_path / "a.log") as a,
        serving(command, env, REPO, tmp_path / "b.log") as b,
    ):
        await asyncio.gather(a.wait_until_ready(), b.wait_until_ready())
        async with (
            httpx.AsyncClient(base_url=a.url, timeout=30) as ca,
            httpx.AsyncClient(base_url=b.url, timeout=30) as cb,
        ):
            clients = [ca, cb]

            async def listening(client: httpx.AsyncClient) -> bool:
                return bool((await _stats(client))["listening"])

            await _until(clients, listening)
            first = {(await c.get("/graphql", params=QUERY)).headers["etag"] for c in clients}
            assert len(first) == 1

            _rename_topic(seeds, "AI safety", "AI safety, renamed")
            status, out, err = await run([*DETENTE, "db", "seed", str(seeds)], env, REPO)
            assert status == 0, out + err
            second = await _until_all_answer(clients, "AI safety, renamed", first.pop())
            for client in clients:
                stats = await _stats(client)
                assert stats["notifications"] == 1 and stats["cache_drops"] >= 1

            # Cut the listening connections, as an administrator or a failover would.
            conn = await asyncpg.connect(fresh_url)
            try:
                cut = await conn.fetchval(
                    "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity "
                    "where application_name = $1 and datname = current_database()) t",
                    LISTENER_NAME,
                )
            finally:
                await conn.close()
            assert cut == 2

            async def listening_again(client: httpx.AsyncClient) -> bool:
                stats = await _stats(client)
                return bool(stats["listening"] and stats["connects"] >= 2)

            await _until(clients, listening_again)
            _rename_topic(seeds, "Chips", "Chips, renamed")
            status, out, err = await run([*DETENTE, "db", "seed", str(seeds)], env, REPO)
            assert status == 0, out + err
            await _until_all_answer(clients, "Chips, renamed", second)


async def test_a_service_listens_again_after_its_postgres_restarts(settings: Settings, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(FIXTURE_SEEDS, seeds)
    with pg_server(tmp_path / "pg") as server:
        await migrate_and_load(server.url, seeds)
        async with running_service(settings, server.url) as service:
            client = service.client

            async def listening(c: httpx.AsyncClient) -> bool:
                return bool((await _stats(c))["listening"])

            await _until([client], listening)
            before = (await client.get("/graphql", params=QUERY)).headers["etag"]
            server.stop()
            server.start()

            async def listening_again(c: httpx.AsyncClient) -> bool:
                stats = await _stats(c)
                return bool(stats["listening"] and stats["connects"] >= 2)

            await _until([client], listening_again)
            assert (await _stats(client))["disconnects"] >= 1
            _rename_topic(seeds, "Governance", "Governance, renamed")
            conn = await asyncpg.connect(server.url)
            try:
                assert (await load_seeds(conn, seeds)).changed
            finally:
                await conn.close()
            await _until_all_answer([client], "Governance, renamed", before)


async def test_the_listener_connects_where_database_listen_url_says(
    settings: Settings, fresh_url: str, empty_url: str
) -> None:
    # The notice comes through the listen URL (here another database), the tag from the pool's.
    listened = settings.model_copy(update={"database_listen_url": empty_url})
    async with running_service(listened, fresh_url) as service:
        client = service.client

        async def listening(c: httpx.AsyncClient) -> bool:
            return bool((await _stats(c))["listening"])

        await _until([client], listening)
        before = (await client.get("/graphql", params=QUERY)).headers["etag"]
        data = await asyncpg.connect(fresh_url)
        other = await asyncpg.connect(empty_url)
        try:
            await data.execute(
                "insert into release (version, released_on, notes, license, content_hash, row_counts) "
                "values ('9.9.9', current_date, 'test', 'CC-BY-4.0', 'listened', '{}')"
            )
            await other.execute("select pg_notify($1, 'listened')", RELEASE_CHANNEL)
        finally:
            await data.close()
            await other.close()

        async def follows(c: httpx.AsyncClient) -> bool:
            return (await c.get("/graphql", params=QUERY)).headers["etag"] != before

        await _until([client], follows)
        assert (await _stats(client))["tag"].split("/")[0] == "listened"  # the tag is `contentHash/day`


async def test_a_load_found_on_listening_again_is_announced(fresh_url: str) -> None:
    """A load committed while the listener was away is found by the read made on listening again
    (`_listen` starts it), and announced as a notification would have been, so replicas still
    behind it are asked again soon (api/release_tag.py)."""
    pool = await asyncpg.create_pool(fresh_url, min_size=1, max_size=1)
    try:
        tag = ReleaseTag()
        dropped: list[bool] = []
        events = ReleaseEvents(fresh_url, pool, tag, lambda: dropped.append(True))
        await tag.current(pool, 1.0)
        await events._refresh(None)
        assert tag.announced is None and not dropped  # nothing was missed
        await pool.execute("update release set content_hash = 'loaded-while-away'")
        await events._refresh(None)
        assert tag.announced == "loaded-while-away" and dropped == [True]
    finally:
        await pool.close()
