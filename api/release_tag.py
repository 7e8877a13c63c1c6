"""The content hash of the loaded release, cached briefly: the data changes only on a load.

When the database cannot be asked, the last hash read stands (a release cannot be loaded into a
database that is gone); with none read yet, the failure reaches the caller.

With read replicas (api/replicas.py) the hash is kept per database and read from the database the
request reads its data from: a replica that has not replayed a load yet answers under the old tag,
so the response cache never holds an old answer under a new release's key.
"""

from __future__ import annotations

import logging
import time

import asyncpg

from api.background import within
from db.release import latest_content_hash

logger = logging.getLogger("detente.release")

TTL_SECONDS = 5.0


class ReleaseTag:
    def __init__(self) -> None:
        self._read: dict[str, tuple[str, float]] = {}  # database name -> (hash, read at)

    async def current(self, pool: asyncpg.Pool, timeout_s: float) -> str:
        name_of = getattr(pool, "database_name", None)  # a RoutedPool: the request's database
        key: str = name_of() if name_of is not None else ""
        value, read_at = self._read.get(key, ("", float("-inf")))
        now = time.monotonic()
        if now - read_at > TTL_SECONDS:
            try:
                read: str | None = await within(latest_content_hash(pool), timeout_s)
                value = read or ""
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                if read_at == float("-inf"):
                    raise
                logger.warning("release tag unreadable; keeping the last one")
            self._read[key] = (value, now)
        return value
