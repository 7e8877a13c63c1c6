"""The content hash of the loaded release and the day, cached briefly: the data changes only on a
load, and what is computed from today (lapsed statuses) only when the day does."""

from __future__ import annotations

import time

import asyncpg

from db.release import answers_tag

TTL_SECONDS = 5.0


class ReleaseTag:
    def __init__(self) -> None:
        self._value = ""
        self._read_at = float("-inf")

    async def current(self, pool: asyncpg.Pool) -> str:
        now = time.monotonic()
        if now - self._read_at > TTL_SECONDS:
            self._value = await answers_tag(pool)
            self._read_at = now
        return self._value
