"""Reading from Postgres streaming replicas (`DATABASE_READ_URLS`).

Each database (every replica, and the primary at `DATABASE_URL`) has both pool kinds: custom
plans for lists, search and aggregates, generic plans for lookups by key. API reads go to the
replicas in turn (round robin, one database per request, so that one answer is read from one
snapshot of one server); a replica that fails is skipped, and the primary answers when no replica
does. Migrations and seed loads never come here: they use `DATABASE_URL` directly
(api/database.py, api/cli.py).

A replica fails when its connection fails (refused, closed, shutting down, a conflict with
recovery) and when it stops answering: a server that accepts TCP but never replies (frozen,
SIGSTOP; a hung host) raises nothing, so a read that has no answer within `REPLICA_TIMEOUT_MS`
asks whether the server still answers at all — a statement of the replica finished within that
bound, or a fresh connection and `select 1` answered within it. A slow statement on a live server
is waited for (its own `statement_timeout` and the request's deadline still bound it); a server
that answers neither is marked down. The abandoned statement is cancelled in the background
(api/background.py: asyncpg cancels over a new connection, which a frozen server never answers).

A skipped replica is probed in the background every RETRY_AFTER_S (a fresh connection, not its
pools, whose connections a frozen server may still hold) and used again once it answers; requests
never wait on it meanwhile. A replica that fails in the middle of a request costs no error: reads
are idempotent, so the statement runs again on the next database of the request's order. Only the
primary's failure reaches the caller, as it did without replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg
from starlette.types import ASGIApp, Receive, Scope, Send

from api.background import detach, within

logger = logging.getLogger("detente.replicas")
T = TypeVar("T")

RETRY_AFTER_S = 1.0  # a skipped replica is probed this often, and used again once it answers
PROBE_APPLICATION = "detente-probe"  # the probes' application_name (pg_stat_activity)
CLOSE_TIMEOUT_S = 5.0  # closing the pools at shutdown; then their connections are cut

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
    """One server's two pools, whether it is being skipped, and what it answered."""

    name: str  # "primary" or "replica N" (N from 1, in DATABASE_READ_URLS order): no host, no password
    host: str
    pool: asyncpg.Pool
    lookup_pool: asyncpg.Pool
    url: str = field(default="", repr=False)  # for probes; holds the password, never logged
    down: bool = False
    failures: int = 0  # times it was marked down
    not_answering: int = 0  # of them, times it had no answer within the bound (frozen, hung)
    reads: int = 0  # statements it answered
    answered_at: float = float("-inf")  # when it last answered (a statement, or a probe)
    _check: asyncio.Future[bool] | None = field(default=None, repr=False)

    def answered(self) -> None:
        self.reads += 1
        self.answered_at = time.monotonic()

    async def answers(self, timeout_s: float) -> bool:
        """Whether the server takes a fresh connection and answers `select 1`, each within
        `timeout_s`. Not through the pools: a frozen server may hold all their connections. The
        simple query protocol, so that it works through pgbouncer's transaction pooling too."""
        try:
            conn = await within(
                asyncpg.connect(
                    self.url,
                    timeout=timeout_s,
                    statement_cache_size=0,
                    server_settings={"application_name": PROBE_APPLICATION},
                ),
                timeout_s,
            )
        except PROBE_FAILURES:
            return False
        try:
            await within(conn.execute("select 1"), timeout_s)
        except PROBE_FAILURES:
            return False
        finally:
            conn.terminate()  # no goodbye round trip, which a server frozen since would hold
        self.answered_at = time.monotonic()
        return True

    async def still_answers(self, timeout_s: float) -> bool:
        """Whether the server answered anything in the last `timeout_s`, or answers a probe now:
        one probe at a time, shared by every read waiting on this server."""
        if self.down:
            return False
        if time.monotonic() - self.answered_at < timeout_s:
            return True
        if self._check is None or self._check.done():
            self._check = asyncio.ensure_future(self.answers(timeout_s))
        return await asyncio.shield(self._check)  # a waiter's deadline does not stop the probe

    def mark_down(self, error: BaseException) -> bool:
        """Skipped from now on; True when it was not already."""
        self.failures += 1
        if isinstance(error, NotAnswering):
            self.not_answering += 1
        if self.down:
            return False
        self.down = True
        logger.warning(
            "database skipped after a failure; probed until it answers",
            extra={"database": self.name, "error": type(error).__name__, "probe_every_s": RETRY_AFTER_S},
        )
        return True

    def mark_up(self) -> None:
        if self.down:
            logger.info("database answers again", extra={"database": self.name})
        self.down = False

    def stats(self) -> dict[str, Any]:
        return {
            "database": self.name,
            "skipped": self.down,
            "reads": self.reads,
            "failures": self.failures,
            "not_answering": self.not_answering,
        }


class NotAnswering(TimeoutError):
    """A replica had no answer within the bound and did not answer a probe either."""


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
    answer_timeout_s: float = 0.5  # REPLICA_TIMEOUT_MS
    _turn: int = field(default=0)
    _probes: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    def _order(self) -> list[Database]:
        usable = [r for r in self.replicas if not r.down]
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
            last = database is self.primary or index == len(order) - 1
            if database.down and not last:
                continue  # marked down since this request chose it: not waited on
            pool = database.lookup_pool if lookup else database.pool
            try:
                result = await (call(pool) if last else self._answer(database, call(pool)))
                database.answered()
                return result
            except FAILOVER as error:
                if last:
                    raise
                await self.mark_down(database, error)
                pin = _PIN.get()
                if pin is not None:
                    pin.order = order[index + 1 :]
        raise AssertionError("the primary ends every order")  # pragma: no cover

    async def _answer(self, database: Database, work: Awaitable[T]) -> T:
        """`work`'s result, or NotAnswering once `database` has answered nothing for the bound
        (then `work` is cancelled in the background: its cancel request waits for the server)."""
        task = asyncio.ensure_future(work)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.answer_timeout_s)
                if done:
                    return task.result()
                if not await database.still_answers(self.answer_timeout_s):
                    break
        except asyncio.CancelledError:  # the request's deadline: the statement goes too
            task.cancel()
            detach(task)
            raise
        task.cancel()
        detach(task)
        raise NotAnswering

    async def mark_down(self, database: Database, error: BaseException) -> None:
        """Skips `database` until a background probe finds it answering again."""
        if database.mark_down(error):
            # Its idle connections are most likely dead as well: replaced on their next use.
            await database.pool.expire_connections()
            await database.lookup_pool.expire_connections()
        probe = self._probes.get(database.name)
        if probe is None or probe.done():
            self._probes[database.name] = asyncio.ensure_future(self._probe_until_up(database))

    async def _probe_until_up(self, database: Database) -> None:
        while database.down:
            await asyncio.sleep(RETRY_AFTER_S)
            if await database.answers(self.answer_timeout_s):
                database.mark_up()

    async def status(self, timeout_s: float) -> list[dict[str, Any]]:
        """Each database's answer to a probe, asked at once. A skipped replica is reported as
        not answering without a wait (the background probe brings it back); one that does not
        answer here is skipped from now on."""

        async def probe(database: Database) -> dict[str, Any]:
            if database.down:
                return {"database": database.name, "answers": False}
            check = database.pool.fetchval("select pg_is_in_recovery()")
            try:
                if database is self.primary:
                    recovering = await within(check, timeout_s)
                else:
                    recovering = await within(self._answer(database, check), timeout_s)
            except NotAnswering as error:
                await self.mark_down(database, error)
                return {"database": database.name, "answers": False}
            except TimeoutError:  # slow, but it answers other statements: not skipped for that
                return {"database": database.name, "answers": False}
            except FAILOVER as error:
                if database is not self.primary:
                    await self.mark_down(database, error)
                return {"database": database.name, "answers": False}
            except asyncpg.PostgresError:
                return {"database": database.name, "answers": False}
            database.answered_at = time.monotonic()
            return {"database": database.name, "answers": True, "in_recovery": bool(recovering)}

        return list(await asyncio.gather(*(probe(d) for d in [self.primary, *self.replicas])))

    def stats(self) -> list[dict[str, Any]]:
        """Each database's counters (`/cluster/stats`): reads answered, failures, skipped now."""
        return [d.stats() for d in [self.primary, *self.replicas]]

    async def close(self) -> None:
        for task in self._probes.values():
            task.cancel()
        for task in self._probes.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        pools = [p for d in [*self.replicas, self.primary] for p in (d.lookup_pool, d.pool)]
        # close() waits for every connection to be released, and one whose statement was
        # abandoned on a frozen server is released only once its cancel request is answered.
        closing = [asyncio.ensure_future(p.close()) for p in pools]
        await asyncio.wait(closing, timeout=CLOSE_TIMEOUT_S)
        errors = []
        for pool, task in zip(pools, closing, strict=True):
            if not task.done():
                task.cancel()
                detach(task)
                pool.terminate()
            elif not task.cancelled() and (error := task.exception()) is not None:
                errors.append(error)
        if errors:
            raise errors[0]


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
            replicas.append(Database(f"replica {number}", host_of(url), read, lookups, url=url))
    except BaseException:
        for database in replicas:
            await database.lookup_pool.close()
            await database.pool.close()
        raise
    return Router(
        Database("primary", host_of(primary_url), pool, lookup_pool, url=primary_url),
        replicas,
        settings.replica_timeout_ms / 1000,
    )
