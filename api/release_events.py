"""Following the release at once: one connection per process LISTENs on the channel a seed load
notifies (db/release.py), and a notification reads the new release tag and drops the process's
release-scoped caches, so every replica answers with the new ETag as soon as the load commits.

The connection is watched (asyncpg's termination callback, and a `select 1` every
HEALTH_CHECK_S for a server that is frozen rather than gone); once lost it is made again with
back-off (0.1 s doubling to 5 s) and LISTENs again, and the tag is read at once in case a load
was missed meanwhile. While listening, the release tag is polled only every LISTENING_POLL_S;
while not, every 5 s as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg

from api.background import within
from api.release_tag import TTL_SECONDS, ReleaseTag
from db.release import RELEASE_CHANNEL

logger = logging.getLogger("detente.release")

LISTENER_NAME = "detente-release-listener"  # its `application_name`, to find it in pg_stat_activity
LISTENING_POLL_S = 60.0
HEALTH_CHECK_S = 10.0
CHECK_TIMEOUT_S = 2.0
RECONNECT_FIRST_S = 0.1
RECONNECT_MAX_S = 5.0
# A notified tag the pool does not read yet (a replica still replaying) is read again this often,
# this many times; then the poll takes over.
CATCH_UP_S = 0.05
CATCH_UP_TRIES = 12


@dataclass
class ReleaseEventStats:
    """Counters of one process's release listener (for /metrics and the cluster run)."""

    listening: bool = False
    connects: int = 0  # LISTEN connections made (the first, then reconnects)
    disconnects: int = 0  # LISTEN connections lost
    notifications: int = 0  # releases announced on the channel
    refreshes: int = 0  # release tag reads after a notification or a reconnect
    cache_drops: int = 0  # times the release-scoped caches were dropped

    def as_dict(self) -> dict[str, int | bool]:
        return asdict(self)


class ReleaseEvents:
    def __init__(
        self,
        database_url: str,
        pool: asyncpg.Pool,
        release_tag: ReleaseTag,
        drop_caches: Callable[[], None],
        connect_timeout_s: float = 2.0,
    ) -> None:
        self.database_url = database_url
        self.pool = pool
        self.release_tag = release_tag
        self.drop_caches = drop_caches
        self.connect_timeout_s = connect_timeout_s
        self.stats = ReleaseEventStats()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Listens for as long as the process runs (cancel it to stop)."""
        backoff = RECONNECT_FIRST_S
        while True:
            try:
                conn = await asyncpg.connect(
                    self.database_url,
                    timeout=self.connect_timeout_s,
                    server_settings={"application_name": LISTENER_NAME},
                )
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                self._not_listening(error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, RECONNECT_MAX_S)
                continue
            try:
                await self._listen(conn)
                backoff = RECONNECT_FIRST_S
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                self._not_listening(error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, RECONNECT_MAX_S)
            finally:
                conn.terminate()

    async def _listen(self, conn: asyncpg.Connection) -> None:
        """Until the connection is lost."""
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _: lost.set())
        await conn.add_listener(RELEASE_CHANNEL, self._notified)
        self.stats.connects += 1
        self.stats.listening = True
        self.release_tag.ttl_s = LISTENING_POLL_S
        if self.stats.connects > 1:
            logger.info("listening for releases again")
        if self.release_tag.read:
            self._start(None)  # a load may have committed since the tag was read
        while not lost.is_set() and not conn.is_closed():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), HEALTH_CHECK_S)
            if not lost.is_set():
                await within(conn.fetchval("select 1"), CHECK_TIMEOUT_S)
        self._not_listening(None)

    def _not_listening(self, error: BaseException | None) -> None:
        self.release_tag.ttl_s = TTL_SECONDS
        if self.stats.listening:
            self.stats.disconnects += 1
            logger.warning(
                "release listener lost its connection; polling until it is back",
                extra={"error": type(error).__name__ if error else "terminated"},
            )
        self.stats.listening = False

    def _notified(self, conn: Any, pid: int, channel: str, payload: object) -> None:
        self.stats.notifications += 1
        self.release_tag.announce(str(payload))
        self._start(str(payload))

    def _start(self, expected: str | None) -> None:
        task = asyncio.get_running_loop().create_task(self._refresh(expected))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _refresh(self, expected: str | None) -> None:
        """Reads the tag (again, for a while, until it is the one announced) and drops the caches
        once it changed."""
        before = self.release_tag.value
        delay = CATCH_UP_S
        for _ in range(CATCH_UP_TRIES):
            try:
                tag = await self.release_tag.refresh(self.pool, CHECK_TIMEOUT_S)
                self.stats.refreshes += 1
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                tag = None
            if tag is not None and (expected is None or self.release_tag.content_hash == expected):
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
        if self.release_tag.value != before:
            if expected is None:  # a load missed while not listening: announced by what was read
                self.release_tag.announce(self.release_tag.content_hash)
            self.stats.cache_drops += 1
            self.drop_caches()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def following_releases(events: ReleaseEvents) -> AsyncIterator[ReleaseEvents]:
    """Runs the listener for the duration of the block."""
    task = asyncio.create_task(events.run())
    try:
        yield events
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await events.close()
