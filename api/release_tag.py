"""The tag answers are keyed by — the loaded release's content hash and the day (what is
computed from today, lapsed statuses, changes only when the day does) — cached briefly.

A process that listens for loads (api/release_events.py) is told at once and reads the tag again
(`refresh`); the short poll (`ttl_s`) is the fallback for a process that is not listening, and a
slow one while it is. When the database cannot be asked, the last hash read stands (a release
cannot be loaded into a database that is gone); with none read yet, the failure reaches the caller.
"""

from __future__ import annotations

import logging
import time

import asyncpg

from api.background import within
from api.database import DATABASE_ERRORS
from db.release import answers_tag

logger = logging.getLogger("detente.release")

TTL_SECONDS = 5.0


class ReleaseTag:
    def __init__(self) -> None:
        self._value = ""
        self._read_at = float("-inf")
        self.ttl_s = TTL_SECONDS

    @property
    def value(self) -> str:
        """The last tag read ("" before the first)."""
        return self._value

    @property
    def content_hash(self) -> str:
        """The loaded release's content hash alone (what `release { contentHash }` gives)."""
        return self._value.split("/", 1)[0]

    @property
    def read(self) -> bool:
        """Whether the tag was ever read (until then, the first request reads it)."""
        return self._read_at != float("-inf")

    async def current(self, pool: asyncpg.Pool, timeout_s: float) -> str:
        now = time.monotonic()
        if now - self._read_at > self.ttl_s:
            try:
                await self.refresh(pool, timeout_s)
            except DATABASE_ERRORS:
                if self._read_at == float("-inf"):
                    raise
                logger.warning("release tag unreadable; keeping the last one")
            self._read_at = now
        return self._value

    async def refresh(self, pool: asyncpg.Pool, timeout_s: float) -> str:
        """Reads the tag now; raises when the database does not answer."""
        self._value = await within(answers_tag(pool), timeout_s)
        self._read_at = time.monotonic()
        return self._value
