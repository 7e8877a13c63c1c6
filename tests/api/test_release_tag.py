"""api/release_tag.py: the tag is kept per database for the poll interval, except a database that
is behind an announced load, which is read again soon, so a replica that had not replayed the load
when it was first asked does not answer the old release for the whole interval."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from api.database import database_name
from api.release_tag import BEHIND_TTL_S, ReleaseTag
from tests.conftest import Databases


class _Named:
    """A real pool, named as a RoutedPool names the database a request reads (`_key`)."""

    def __init__(self, pool: asyncpg.Pool, name: str) -> None:
        self.pool = pool
        self.name = name

    def database_name(self) -> str:
        return self.name

    async def fetchval(self, query: str) -> object:
        return await self.pool.fetchval(query)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def primary_and_replica(
    databases: Databases, template_url: str
) -> AsyncIterator[tuple[asyncpg.Pool, asyncpg.Pool]]:
    """Two copies of the loaded release: the primary, and a replica that replays what it is told."""
    template = database_name(template_url)
    primary = await asyncpg.create_pool(await databases.create(template=template), min_size=1, max_size=1)
    replica = await asyncpg.create_pool(await databases.create(template=template), min_size=1, max_size=1)
    try:
        yield primary, replica
    finally:
        await primary.close()
        await replica.close()


async def _load(pool: asyncpg.Pool, content_hash: str) -> None:
    await pool.execute("update release set content_hash = $1", content_hash)


async def test_a_replica_behind_an_announced_load_is_read_again_soon(
    primary_and_replica: tuple[asyncpg.Pool, asyncpg.Pool],
) -> None:
    primary = _Named(primary_and_replica[0], "primary")
    replica = _Named(primary_and_replica[1], "replica")
    clock = _Clock()
    tag = ReleaseTag(clock)
    tag.ttl_s = 60.0  # the poll interval while a process listens for loads
    old = (await tag.current(replica, 1.0)).split("/")[0]  # type: ignore[arg-type]

    # A load commits on the primary and is announced; the replica has not replayed it yet.
    await _load(primary.pool, "new-release")
    tag.announce("new-release")
    await tag.refresh(primary, 1.0)  # type: ignore[arg-type]
    assert (await tag.current(replica, 1.0)).split("/")[0] == old  # type: ignore[arg-type]

    # The replica replays it: within BEHIND_TTL_S it answers the new release, not after 60 s.
    await _load(replica.pool, "new-release")
    clock.now += 2 * BEHIND_TTL_S
    assert (await tag.current(replica, 1.0)).split("/")[0] == "new-release"  # type: ignore[arg-type]

    # Caught up, it is kept for the whole interval again: a change nobody announced waits for it.
    await _load(replica.pool, "unannounced")
    clock.now += 2 * BEHIND_TTL_S
    assert (await tag.current(replica, 1.0)).split("/")[0] == "new-release"  # type: ignore[arg-type]
    clock.now += tag.ttl_s
    assert (await tag.current(replica, 1.0)).split("/")[0] == "unannounced"  # type: ignore[arg-type]


async def test_without_an_announcement_the_tag_is_kept_for_the_interval(
    primary_and_replica: tuple[asyncpg.Pool, asyncpg.Pool],
) -> None:
    replica = _Named(primary_and_replica[1], "replica")
    clock = _Clock()
    tag = ReleaseTag(clock)
    first = await tag.current(replica, 1.0)  # type: ignore[arg-type]
    await _load(replica.pool, "reloaded")
    clock.now += tag.ttl_s / 2
    assert await tag.current(replica, 1.0) == first  # type: ignore[arg-type]
    clock.now += tag.ttl_s
    assert (await tag.current(replica, 1.0)).split("/")[0] == "reloaded"  # type: ignore[arg-type]
