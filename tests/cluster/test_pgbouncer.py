"""The service through a real pgbouncer (Debian's 1.18) in transaction pooling mode, with
DATABASE_POOLER=pgbouncer: asyncpg's statement cache off, so statements never depend on the server
connection they were prepared on, and both pools still answer (lists and lookups)."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from api.database import create_pool
from api.settings import Settings
from bench.pgbouncer import PgBouncer, pgbouncer, pgbouncer_binary
from tests.conftest import running_service

pytestmark = pytest.mark.skipif(
    pgbouncer_binary() is None,
    reason="pgbouncer is not installed and could not be (.ci/run: apt-get install pgbouncer)",
)

# Lists (custom plans), a lookup by slug and relations (generic-plan pool), a count.
QUERY = (
    "query($n: Int!) { events(first: $n, orderBy: DATE_DESC) { totalCount nodes { slug "
    "actors { edges { role node { slug name } } } sources { nodes { url } } } } }"
)


@pytest.fixture
def bouncer(server_url: str) -> Iterator[PgBouncer]:
    # Its own folder, readable by the user pgbouncer runs as (pytest's tmp_path is root's only).
    with pgbouncer(Path(tempfile.mkdtemp(prefix="detente-pgbouncer-")), server_url, pool_size=2) as b:
        yield b


async def test_the_service_answers_through_transaction_pooling(bouncer: PgBouncer, fresh_url: str) -> None:
    settings = Settings(database_pooler="pgbouncer", pool_min_size=2, pool_max_size=4)
    direct = Settings(pool_min_size=1, pool_max_size=4)
    async with running_service(direct, fresh_url) as service:
        expected = [await service.graphql(QUERY, {"n": n}) for n in range(1, 6)]
    # 2 pools x 4 client connections over 2 server connections, concurrently: a prepared
    # statement would meet a server connection that never saw it.
    async with running_service(settings, bouncer.url(fresh_url)) as service:
        for _ in range(4):
            answers = await asyncio.gather(*(service.graphql(QUERY, {"n": n}) for n in range(1, 6)))
            assert answers == expected
        slug = expected[0]["data"]["events"]["nodes"][0]["slug"]  # type: ignore[index]
        body = await service.graphql("query($s: String!) { event(slug: $s) { slug } }", {"s": slug})
        assert body == {"data": {"event": {"slug": slug}}}
        assert (await service.client.get("/ready")).json() == {"status": "ready"}


async def test_the_statement_timeout_still_holds_through_pgbouncer(
    bouncer: PgBouncer, fresh_url: str
) -> None:
    """pgbouncer 1.18 refuses `statement_timeout` as a startup parameter; the pooler mode bounds
    statements from the client (asyncpg's command_timeout cancels through pgbouncer)."""
    settings = Settings(database_pooler="pgbouncer", statement_timeout_ms=200, pool_min_size=1)
    pool = await create_pool(bouncer.url(fresh_url), settings)
    try:
        with pytest.raises((TimeoutError, asyncpg.QueryCanceledError)):
            await pool.fetchval("select pg_sleep(30)")
        assert await pool.fetchval("select 1") == 1  # the pool goes on
    finally:
        await pool.close()


async def test_the_default_mode_is_refused_by_pgbouncer_1_18(bouncer: PgBouncer, fresh_url: str) -> None:
    """Why the setting exists: the default startup parameters are refused by pgbouncer 1.18."""
    with pytest.raises(asyncpg.PostgresError, match="unsupported startup parameter"):
        await create_pool(bouncer.url(fresh_url), Settings(pool_min_size=1))
