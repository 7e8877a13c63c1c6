"""Reading from Postgres streaming replicas (`DATABASE_READ_URLS`).

Each database (every replica, and the primary at `DATABASE_URL`) has both pool kinds: custom
plans for lists, search and aggregates, generic plans for lookups by key. API reads go to the
replicas in turn (round robin, one database per request, so that one answer is read from one
snapshot of one server); a replica whose connection fails is skipped for RETRY_AFTER_S and then
tried again, and the primary answers when no replica does. Migrations and seed loads never come
here: they use `DATABASE_URL` directly (api/database.py, api/cli.py).

A replica that fails in the middle of a request costs no error: reads are idempotent, so the
statement runs again on the next database of the request's order. Only the primary's failure
reaches the caller, as it did without replicas.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from starlette.types import ASGIApp, Receive, Scope, Send

from api.background import within

logger = logging.getLogger("detente.replicas")

RETRY_AFTER_S = 2.0  # a failed replica is skipped this long, then tried again by a request

# What a database that is down, restarting, unreachable or cutting connections raises, and a
# standby's "canceling statement due to conflict with recovery" (40001): worth the next database.
FAILOVER: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,  # the connection was closed under the statement
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,  # 57P01: the server is shutting down
    asyncpg.SerializationError,
)


PROBE_FAILURES: tuple[type[BaseException], ...] = (*FAILOVER, asyncpg.PostgresError)


@dataclass
class Database:
    """One server's two pools, and whether it is being skipped."""

    name: str  # "primary" or "replica N" (N from 1, in DATABASE_READ_URLS order): no host, no password
    host: str
    pool: asyncpg.Pool
    lookup_pool: asyncpg.Pool
    down_until: float = float("-inf")
    failures: int = 0

    def usable(self, now: float) -> bool:
        return self.down_until <= now

    async def mark_down(self, error: BaseException) -> None:
        if self.down_until == float("-inf") or self.down_until < time.monotonic():
            logger.warning(
                "database skipped after a failure; retried later",
                extra={"database": self.name, "error": type(error).__name__, "retry_in_s": RETRY_AFTER_S},
            )
        self.failures += 1
        self.down_until = time.monotonic() + RETRY_AFTER_S
        # Its idle connections are most likely dead as well: replaced on their next use.
        await self.pool.expire_connections()
        await self.lookup_pool.expire_connections()

    def mark_up(self) -> None:
        if self.down_until != float("-inf"):
            logger.info("database answers again", extra={"database": self.name})
        self.down_until = float("-inf")


@dataclass
class _Pin:
    """The databases one request reads from, in order; set on its first read."""

    order: list[Database] | None = None


_PIN: contextvars.ContextVar[_Pin | None] = contextvars.ContextVar("detente_read_pin", default=None)


class PinReadsMiddleware:
    """Gives each HTTP request its own pin (shared by the tasks it starts, such as loaders)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _PIN.set(_Pin())
        try:
            await self.app(scope, receive, send)
        finally:
            _PIN.reset(token)


@dataclass
class Router:
    primary: Database
    replicas: list[Database]
    _turn: int = field(default=0)

    def _order(self) -> list[Database]:
        now = time.monotonic()
        usable = [r for r in self.replicas if r.usable(now)]
        if usable:
            start = self._turn % len(usable)
            self._turn += 1
            usable = usable[start:] + usable[:start]
        return [*usable, self.primary]

    def request_order(self) -> list[Database]:
        pin = _PIN.get()
        if pin is None:
            return self._order()
        if pin.order is None:
            pin.order = self._order()
        return pin.order

    def current(self) -> Database:
        """The database this request reads from (chosen now if not yet)."""
        return self.request_order()[0]

    async def run(self, lookup: bool, call: Callable[[asyncpg.Pool], Awaitable[Any]]) -> Any:
        order = self.request_order()
        for index, database in enumerate(order):
            try:
                return await call(database.lookup_pool if lookup else database.pool)
            except FAILOVER as error:
                if database is self.primary or index == len(order) - 1:
                    raise
                await database.mark_down(error)
                pin = _PIN.get()
                if pin is not None:
                    pin.order = order[index + 1 :]
        raise AssertionError("the primary ends every order")  # pragma: no cover

    async def status(self, timeout_s: float) -> list[dict[str, Any]]:
        """Each database's answer to a probe, asked at once; a replica that answers is used again."""

        async def probe(database: Database) -> dict[str, Any]:
            try:
                recovering = await within(database.pool.fetchval("select pg_is_in_recovery()"), timeout_s)
            except PROBE_FAILURES:
                return {"database": database.name, "answers": False}
            if database is not self.primary:
                database.mark_up()
            return {"database": database.name, "answers": True, "in_recovery": bool(recovering)}

        return list(await asyncio.gather(*(probe(d) for d in [self.primary, *self.replicas])))

    async def close(self) -> None:
        for database in [*self.replicas, self.primary]:
            await database.lookup_pool.close()
            await database.pool.close()


class RoutedPool:
    """What the db layer calls on a pool (fetch, fetchrow, fetchval), sent to the request's
    database. Stands in for an asyncpg.Pool in the request state and the GraphQL context."""

    def __init__(self, router: Router, *, lookup: bool) -> None:
        self.router = router
        self.lookup = lookup

    def database_name(self) -> str:
        return self.router.current().name

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> list[asyncpg.Record]:
        result: list[asyncpg.Record] = await self.router.run(
            self.lookup, lambda pool: pool.fetch(query, *args, **kwargs)
        )
        return result

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> asyncpg.Record | None:
        result: asyncpg.Record | None = await self.router.run(
            self.lookup, lambda pool: pool.fetchrow(query, *args, **kwargs)
        )
        return result

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        return await self.router.run(self.lookup, lambda pool: pool.fetchval(query, *args, **kwargs))


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}"


async def open_router(
    primary_url: str,
    settings: Any,
    init: Any,
    pool: asyncpg.Pool,
    lookup_pool: asyncpg.Pool,
) -> Router:
    """Both pools on each replica, next to the primary's (given). A replica's pools connect
    lazily (min_size 0): a replica that is down at startup does not keep the service from
    starting, and is used once it answers."""
    from api.database import create_pool

    replicas: list[Database] = []
    try:
        for number, url in enumerate(settings.database_read_urls, start=1):
            read = await create_pool(url, settings, init, min_size=0)
            try:
                lookups = await create_pool(url, settings, init, generic_plans=True, min_size=0)
            except BaseException:
                await read.close()
                raise
            replicas.append(Database(f"replica {number}", host_of(url), read, lookups))
    except BaseException:
        for database in replicas:
            await database.lookup_pool.close()
            await database.pool.close()
        raise
    return Router(Database("primary", host_of(primary_url), pool, lookup_pool), replicas)
