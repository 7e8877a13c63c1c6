"""The tag answers are keyed by — the loaded release's content hash and the day (what is
computed from today, lapsed statuses, changes only when the day does) — cached briefly.

A process that listens for loads (api/release_events.py) is told at once and reads the tag again
(`refresh`); the short poll (`ttl_s`) is the fallback for a process that is not listening, and a
slow one while it is. When the database cannot be asked, the last hash read stands (a release
cannot be loaded into a database that is gone); with none read yet, the failure reaches the caller.

With read replicas (api/replicas.py) the hash is kept per database and read from the database the
request reads its data from: a replica that has not replayed a load yet answers under the old tag,
so the response cache never holds an old answer under a new release's key. Once a load has been
announced (`announce`), a database whose tag is not the announced release's yet is read again
every BEHIND_TTL_S, not kept for the poll interval: a replica read in the moment between the
announcement and its replay would otherwise answer the old release for up to a minute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import asyncpg

from api.background import within
from api.database import DATABASE_ERRORS
from db.release import answers_tag, content_hash_of

logger = logging.getLogger("detente.release")

TTL_SECONDS = 5.0
# How long the tag of a database still behind the announced release is kept.
BEHIND_TTL_S = 0.1


class ReleaseTag:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._read: dict[str, tuple[str, float]] = {}  # database name -> (tag, read at)
        self._last = ""  # the tag read last, from any database
        self._announced: str | None = None  # the content hash the last announced load committed
        self._clock = clock
        self.ttl_s = TTL_SECONDS

    @property
    def announced(self) -> str | None:
        """The content hash of the last load announced to this process, if any."""
        return self._announced

    def announce(self, content_hash: str) -> None:
        """A load of this release committed (api/release_events.py): until a database's tag
        carries it, that database's tag is read again every BEHIND_TTL_S."""
        self._announced = content_hash

    def _kept_for(self, tag: str) -> float:
        behind = self._announced is not None and content_hash_of(tag) != self._announced
        return BEHIND_TTL_S if behind else self.ttl_s

    @staticmethod
    def _key(pool: asyncpg.Pool) -> str:
        name_of = getattr(pool, "database_name", None)  # a RoutedPool: the request's database
        return str(name_of()) if name_of is not None else ""

    @property
    def value(self) -> str:
        """The tag read last ("" before the first)."""
        return self._last

    @property
    def content_hash(self) -> str:
        """The loaded release's content hash alone (what `release { contentHash }` gives)."""
        return content_hash_of(self._last)

    @property
    def read(self) -> bool:
        """Whether the tag was ever read (until then, the first request reads it)."""
        return bool(self._read)

    async def current(self, pool: asyncpg.Pool, timeout_s: float) -> str:
        key = self._key(pool)
        value, read_at = self._read.get(key, ("", float("-inf")))
        now = self._clock()
        if now - read_at > self._kept_for(value):
            try:
                value = await self.refresh(pool, timeout_s)
            except DATABASE_ERRORS:
                if read_at == float("-inf"):
                    raise
                logger.warning("release tag unreadable; keeping the last one")
                self._read[key] = (value, now)
        return value

    async def refresh(self, pool: asyncpg.Pool, timeout_s: float) -> str:
        """Reads the tag now, from the database `pool` reads; raises when it does not answer."""
        value: str = await within(answers_tag(pool), timeout_s)
        if value != self._last:
            self._read.clear()  # a new release (or day): every database's tag is read again
        self._read[self._key(pool)] = (value, self._clock())
        self._last = value
        return value
