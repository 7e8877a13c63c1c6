"""Connecting to Postgres: URLs, creating the service database, the pool, migrate + seed."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from api import metrics
from api.embedded import embedded_postgres
from api.settings import Settings
from db.migrate import migrate
from db.seed import SeedReport, load_seeds

logger = logging.getLogger("detente.database")
SERVICE_DATABASE = "detente"


def with_database(url: str, database: str) -> str:
    """The same server URL, naming another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


async def ensure_database(server_url: str, database: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        exists = await conn.fetchval("select 1 from pg_database where datname = $1", database)
        if not exists:
            await conn.execute(f'create database "{database}"')
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_database(server_url: str, prefix: str) -> AsyncIterator[str]:
    """A new, empty database on the server for the block (its URL), dropped after it, even when
    the block fails or a client is still connected."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'create database "{name}"')
    finally:
        await conn.close()
    try:
        yield with_database(server_url, name)
    finally:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(f'drop database if exists "{name}" with (force)')
        finally:
            await conn.close()


@contextmanager
def database_server(settings: Settings) -> Iterator[str]:
    """The server to use: DATABASE_URL as given, or an embedded one (stopped on exit)."""
    if settings.database_url:
        yield settings.database_url
        return
    with embedded_postgres(settings.data_dir) as server_url:
        yield server_url


async def prepare(url: str, seeds_dir: Path) -> SeedReport:
    """Apply migrations and load the seeds (skipped when unchanged since the last load)."""
    conn = await asyncpg.connect(url)
    try:
        applied = await migrate(conn)
        if applied:
            logger.info("migrations applied", extra={"files": applied})
        report = await load_seeds(conn, seeds_dir)
        logger.info(
            "seeds loaded" if not report.skipped else "seeds unchanged",
            extra={"release": report.release_version, "changes": report.changes},
        )
        return report
    finally:
        await conn.close()


class _PoolConnection(asyncpg.Connection):
    """A pooled connection that skips asyncpg's reset round trip on every release, and that is
    never reused once a statement on it was cancelled.

    The reset undoes advisory locks, LISTEN, open cursors and SET; the service uses none of
    these on pooled connections, and the round trip doubled the statements per request.

    A cancel (a request past its deadline, an abandoned read) is a message to the postmaster,
    which signals the backend; on a busy machine the signal can land after the cancelled
    statement has finished and the connection has gone back to the pool, and it then cancels
    the next request's statement ("canceling statement due to user request", seen under the
    benchmark's load). One request's cancel must not fail another's, so such a connection is
    closed when it is released (`_MeasuredPool.release`) and the pool makes a new one.
    """

    cancel_sent = False

    def get_reset_query(self) -> str:
        return ""

    def settled(self) -> bool:
        """Whether releasing it can complete without waiting on the server: no transaction to
        roll back, no cancellation in flight (asyncpg's release awaits only those)."""
        internals: Any = self  # asyncpg's private state, pinned with asyncpg==0.32.0
        protocol = internals._protocol
        open_work = protocol.is_in_transaction() or protocol._is_cancelling()
        return not (open_work or internals._top_xact is not None)

    async def reset(self, *, timeout: float | None = None) -> None:  # noqa: ASYNC109 (asyncpg's)
        # With no reset query, only the ROLLBACK of a transaction left open waits on the
        # server: only then is a deadline needed (asyncio.timeout cost 1.5% of a lookup's CPU).
        if self.settled():
            await self._reset()
            return
        await super().reset(timeout=timeout)

    def _cancel_current_command(self, waiter: Any, cancel_waiter: Any = None) -> None:
        self.cancel_sent = True
        super()._cancel_current_command(waiter, cancel_waiter)  # type: ignore[misc]


PoolInit = Callable[[asyncpg.Connection], Awaitable[None]]

# What a database that is gone, cut off or frozen raises. InternalClientError among them: a
# connection the server just terminated can still be handed out while asyncpg consumes the
# FATAL message, and its next statement fails with "another operation is in progress".
DATABASE_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


class _MeasuredPool(asyncpg.Pool):
    """A pool that reports how long each acquire waited, its timeouts and its size, and that
    closes a connection a cancel was sent on instead of taking it back (`_PoolConnection`)."""

    metrics_name = "pool"
    # The size gauges are read by a scrape, not per request: set at most this often (setting
    # them on every acquire cost 2% of a lookup's CPU, py-spy); /metrics sets them as it answers.
    GAUGE_INTERVAL_S = 1.0
    _gauges_set_at = -GAUGE_INTERVAL_S

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:  # noqa: ASYNC109
        con = getattr(connection, "_con", None)
        if getattr(con, "cancel_sent", False):
            connection.terminate()  # returns the holder to the pool; it connects anew on next use
            metrics.child(metrics.POOL_DISCARDED, self.metrics_name).inc()
        elif (
            isinstance(con, _PoolConnection)
            and connection._holder._pool is self
            and self._releases_at_once(connection._holder, con)
        ):
            # Nothing in the release awaits, so a cancellation cannot cut it short: the shield
            # asyncpg puts around it (a Task per statement, 2.5% of a lookup's CPU) is not needed.
            self._check_init()
            internals: Any = con
            internals._on_release()
            holder = connection._holder
            await holder.release(timeout if timeout is not None else holder._timeout)
            return
        await super().release(connection, timeout=timeout)

    def _releases_at_once(self, holder: Any, con: _PoolConnection) -> bool:
        """Whether asyncpg's holder release will not wait: the connection is open, settled,
        under its query limit and of the pool's generation (else it closes or rolls back)."""
        pool: Any = self
        connection: Any = con
        return (
            not con.is_closed()
            and con.settled()
            and connection._protocol.queries_count < holder._max_queries
            and holder._generation == pool._generation
        )

    async def _acquire(self, timeout: float | None) -> Any:  # noqa: ASYNC109 (asyncpg's signature)
        started = time.perf_counter()
        try:
            return await super()._acquire(timeout)  # type: ignore[misc]
        except TimeoutError:
            metrics.POOL_TIMEOUTS.labels(self.metrics_name).inc()
            raise
        finally:
            now = time.perf_counter()
            metrics.child(metrics.POOL_WAIT, self.metrics_name).observe(now - started)
            if now - self._gauges_set_at >= self.GAUGE_INTERVAL_S:
                self._gauges_set_at = now
                metrics.observe_pool(self.metrics_name, self)


def _with_record_arrays(init: PoolInit | None) -> PoolInit:
    """`init`, after teaching the connection the record[] type: sibling lists come back as
    arrays of records (db.paging.fetch_sibling_lists), which asyncpg learns by introspection
    (four statements) once per connection; at connect time, not inside a request."""

    async def run(conn: asyncpg.Connection) -> None:
        await conn.fetchval("select array(select row(1))")
        if init is not None:
            await init(conn)

    return run


async def create_pool(
    url: str,
    settings: Settings,
    init: PoolInit | None = None,
    *,
    generic_plans: bool = False,
    min_size: int | None = None,
) -> asyncpg.Pool:
    """A pool whose connections time statements out. `generic_plans` is for statements that look
    rows up by keys (`id = any($1)`, slugs): their generic plan is as good as any, and left to
    choose, Postgres re-plans them on every call (measured: Postgres CPU per page of 50 events
    5.4 -> 3.0 ms). Searches and filtered lists stay on custom plans, which read the parameters
    (a generic plan walked the whole date index for a rare search term: 0 req/s at 1M events).

    With DATABASE_POOLER=pgbouncer (transaction pooling, pgbouncer < 1.21) a statement may run on
    another server connection than the one it was prepared on: asyncpg's statement cache is off,
    and only `application_name` goes in the startup packet (pgbouncer 1.18 refuses parameters it
    does not track). The statement timeout is then asyncpg's `command_timeout` (a cancel request
    through pgbouncer), and `generic_plans` is moot: without a cache every statement is planned
    on every call anyway (README "Behind pgbouncer")."""
    connection: dict[str, Any]  # what differs: the session's settings and how it is initialised
    if settings.database_pooler == "pgbouncer":
        connection = {
            "server_settings": {"application_name": "detente"},
            "statement_cache_size": 0,
            "command_timeout": settings.statement_timeout_ms / 1000,
            "init": init,
        }
    else:
        server_settings = {
            "statement_timeout": str(settings.statement_timeout_ms),
            "application_name": "detente",
        }
        if generic_plans:
            server_settings["plan_cache_mode"] = "force_generic_plan"
        connection = {"server_settings": server_settings, "init": _with_record_arrays(init)}
    # asyncpg.create_pool with its defaults, building our subclass (create_pool takes no class).
    pool = _MeasuredPool(
        url,
        timeout=settings.pool_timeout_ms / 1000,  # connecting: a frozen server must not hold it
        min_size=settings.pool_min_size if min_size is None else min_size,
        max_size=settings.pool_max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        loop=None,
        connection_class=_PoolConnection,
        record_class=asyncpg.Record,
        **connection,
    )
    pool.metrics_name = "lookup_pool" if generic_plans else "pool"
    await pool
    return pool
