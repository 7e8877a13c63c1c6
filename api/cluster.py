"""What one process shares with the other replicas: the Redis link (when `REDIS_URL` is set), the
response cache, persisted queries and rate limiter built on it, the release listener, and their counters
(`GET /cluster/stats`, for /metrics and the cluster run)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.persisted import PersistedQueries
from api.ratelimit import RateLimiter
from api.release_events import ReleaseEvents, following_releases
from api.release_tag import ReleaseTag
from api.replicas import Router
from api.settings import Settings
from api.shared_cache import KEPT, RedisLink, ResponseCache, SharedCache
from schema.bounded import BoundedCache


class Cluster:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.link = (
            RedisLink(settings.redis_url, settings.redis_prefix, settings.redis_timeout_ms)
            if settings.redis_url
            else None
        )
        self.release_tag = ReleaseTag()
        self.responses = ResponseCache(
            SharedCache(
                "responses",
                BoundedCache(settings.response_cache_entries, settings.response_cache_bytes, "response"),
                self.link,
                settings.shared_cache_entries,
                settings.shared_cache_bytes,
                settings.shared_cache_ttl_s,
                codec=KEPT,
            )
        )
        self.persisted = PersistedQueries.from_manifest(
            settings.persisted_queries_file,
            settings.persisted_queries_only,
            settings.persisted_queries_max,
            settings.persisted_queries_bytes,
            self.link,
            settings.shared_cache_ttl_s,
        )
        self.limiter = RateLimiter.from_settings(settings, self.link)
        self.events: ReleaseEvents | None = None
        self.router: Router | None = None  # set by the app's lifespan with DATABASE_READ_URLS

    def drop_release_caches(self) -> None:
        """A new release is loaded: answers of the old one are never read again."""
        self.responses.clear_local()

    @contextlib.asynccontextmanager
    async def running(self, database_url: str, pool: asyncpg.Pool) -> AsyncIterator[None]:
        """The release listener for the app's lifetime; the Redis link closed after it."""
        # LISTEN needs a session of its own on the primary: not a standby (which refuses it), not
        # pgbouncer's transaction pooling (which hands the session to others).
        self.events = ReleaseEvents(
            self.settings.database_listen_url or database_url,
            pool,
            self.release_tag,
            self.drop_release_caches,
            self.settings.pool_timeout_ms / 1000,
        )
        try:
            async with following_releases(self.events):
                yield
        finally:
            if self.link is not None:
                await self.link.close()

    def stats(self) -> dict[str, Any]:
        """Every counter, by part: `redis`, `response_cache`, `persisted_queries`, `rate_limit`,
        `release`, and with read replicas `databases` (see README, "Running several replicas")."""
        return {
            "redis": {
                "configured": self.link is not None,
                **(self.link.stats.as_dict() if self.link else {}),
            },
            "response_cache": self.responses.shared.stats.as_dict(),
            "persisted_queries": self.persisted.learned.stats.as_dict(),
            "rate_limit": {
                "enabled": self.limiter is not None,
                **(self.limiter.stats.as_dict() if self.limiter else {}),
            },
            "release": {
                "tag": self.release_tag.value,
                **(self.events.stats.as_dict() if self.events else {}),
            },
            **({"databases": self.router.stats()} if self.router is not None else {}),
        }

    async def endpoint(self, request: Request) -> Response:
        return JSONResponse(self.stats(), headers={"cache-control": "no-store"})
