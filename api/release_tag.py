"""The content hash of the loaded release, cached briefly: the data changes only on a load."""

from __future__ import annotations

import time

import asyncpg

from db.release import latest_content_hash

TTL_SECONDS = 5.0


class ReleaseTag:
    def __init__(self) -> None:
        self._value = ""
        self._read_at = float("-inf")

    async def current(self, pool: asyncpg.Pool) -> str:
        now = time.monotonic()
        if now - self._read_at > TTL_SECONDS:
            self._value = await latest_content_hash(pool) or ""
            self._read_at = now
        return self._value
