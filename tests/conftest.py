"""Fixtures: a Postgres server, databases this run creates (and drops), and a running service.

Every database here is made by the test run from a migrated, seeded template and dropped at the
end; nothing outside them is touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn

from api.app import create_app
from api.database import database_name, database_server, with_database
from api.server import server_config
from api.settings import Settings
from db.migrate import migrate
from db.seed import load_seeds

FIXTURE_SEEDS = Path(__file__).parent / "fixtures" / "seeds"
RELEASE_SEEDS = Path(__file__).resolve().parent.parent / "seeds"
RUN_ID = uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(pool_min_size=1, pool_max_size=4)


@pytest.fixture(scope="session")
def server_url(settings: Settings) -> Iterator[str]:
    with database_server(settings) as url:
        yield url


class Databases:
    """Creates databases for this run on the server and drops them all at the end."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.created: list[str] = []

    async def create(self, template: str | None = None) -> str:
        name = f"detente_test_{RUN_ID}_{len(self.created)}"
        conn = await asyncpg.connect(self.server_url)
        try:
            clause = f' template "{template}"' if template else ""
            await conn.execute(f'create database "{name}"{clause}')
        finally:
            await conn.close()
        self.created.append(name)
        return with_database(self.server_url, name)

    async def drop(self, url: str) -> None:
        name = database_name(url)
        conn = await asyncpg.connect(self.server_url)
        try:
            await conn.execute(f'drop database if exists "{name}" with (force)')
        finally:
            await conn.close()

    async def drop_all(self) -> None:
        for name in self.created:
            await self.drop(with_database(self.server_url, name))


@pytest.fixture(scope="session")
async def databases(server_url: str) -> AsyncIterator[Databases]:
    dbs = Databases(server_url)
    yield dbs
    await dbs.drop_all()


async def migrate_and_load(url: str, seeds: Path) -> None:
    """Bring the database at `url` to the current schema and load a seeds folder into it."""
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        await load_seeds(conn, seeds)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def template_url(databases: Databases) -> str:
    """A database migrated and loaded with the fixture seeds; cloned, never used directly."""
    url = await databases.create()
    await migrate_and_load(url, FIXTURE_SEEDS)
    return url


@pytest.fixture(scope="session")
async def release_url(databases: Databases) -> str:
    """A database loaded with the real release (seeds/), shared by tests that only read it."""
    url = await databases.create()
    await migrate_and_load(url, RELEASE_SEEDS)
    return url


@pytest.fixture
async def fresh_url(databases: Databases, template_url: str) -> str:
    """A private copy of the seeded template, for a test that writes."""
    return await databases.create(template=database_name(template_url))


@pytest.fixture
async def empty_url(databases: Databases) -> str:
    """A new, empty database (no migrations)."""
    return await databases.create()


@dataclass
class QueryLog:
    """SQL statements the service ran, recorded by a query logger on every pool connection."""

    statements: list[str] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)  # the server port of each statement

    async def attach(self, conn: asyncpg.Connection) -> None:
        conn.add_query_logger(self._log)

    def _log(self, query: asyncpg.connection.LoggedQuery) -> None:
        self.statements.append(query.query)
        address = query.conn_addr  # (host, port), or a Unix socket's path
        self.ports.append(int(address[1]) if isinstance(address, tuple) else 0)


@dataclass
class Service:
    url: str
    client: httpx.AsyncClient
    queries: QueryLog
    database_url: str

    async def graphql(self, query: str, variables: dict[str, object] | None = None) -> dict[str, object]:
        response = await self.client.post("/graphql", json={"query": query, "variables": variables or {}})
        body: dict[str, object] = response.json()
        return body


@contextlib.asynccontextmanager
async def running_service(settings: Settings, database_url: str) -> AsyncIterator[Service]:
    """The real app under uvicorn on a free loopback port, and a client for it."""
    queries = QueryLog()
    app = create_app(settings, database_url, pool_init=queries.attach)
    config = server_config(app, settings, "127.0.0.1", 0, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        try:
            yield Service(url=url, client=client, queries=queries, database_url=database_url)
        finally:
            server.should_exit = True
            await task


@pytest.fixture(scope="session")
async def service(settings: Settings, databases: Databases, template_url: str) -> AsyncIterator[Service]:
    """The service over a read-only copy of the fixture data, shared by read-only tests."""
    url = await databases.create(template=database_name(template_url))
    async with running_service(settings, url) as svc:
        yield svc
