"""Startup waits for its database: a real server that refuses connections, then accepts them."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import asyncpg

from api.database import database_name, with_database
from api.startup import redacted
from tests.conftest import FIXTURE_SEEDS, Databases
from tests.processes import clean_environment, run, serving

REPO = Path(__file__).resolve().parents[2]
DETENTE = [sys.executable, "-m", "api.cli"]
RETRYING = "database not accepting connections yet; retrying"
EXIT_ON_SIGTERM = 128 + signal.SIGTERM  # `detente serve` leaves through SystemExit, as a shell reports it


async def _allow_connections(server_url: str, url: str, allow: bool) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'alter database "{database_name(url)}" allow_connections {str(allow).lower()}')
    finally:
        await conn.close()


async def test_serve_waits_for_a_database_that_does_not_accept_connections_yet(
    databases: Databases, tmp_path: Path
) -> None:
    url = await databases.create()
    await _allow_connections(databases.server_url, url, False)
    env = clean_environment(DATABASE_URL=url, SEEDS_DIR=str(FIXTURE_SEEDS), DATABASE_CONNECT_TIMEOUT_S="300")
    async with serving([*DETENTE, "serve"], env, REPO, tmp_path / "serve.log") as served:
        await served.wait_for_output(RETRYING)
        await _allow_connections(databases.server_url, url, True)
        await served.wait_until_ready()
        assert "database accepting connections" in served.output()
        assert await served.stop() == EXIT_ON_SIGTERM


async def test_startup_gives_up_after_the_bound_with_a_clear_message(databases: Databases) -> None:
    url = await databases.create()
    await _allow_connections(databases.server_url, url, False)
    env = clean_environment(DATABASE_URL=url, DATABASE_CONNECT_TIMEOUT_S="1")
    status, _, err = await run([*DETENTE, "db", "migrate"], env, REPO)
    assert status == 1, err
    message = err.strip().splitlines()[-1]
    assert message.startswith("error: the database at ")
    assert "did not accept connections within 1 s (DATABASE_CONNECT_TIMEOUT_S;" in message
    assert f'database "{database_name(url)}" is not currently accepting connections' in message
    assert err.count(RETRYING) >= 1


async def test_a_database_that_does_not_exist_fails_at_once(databases: Databases) -> None:
    url = with_database(databases.server_url, "detente_test_no_such_database")
    env = clean_environment(DATABASE_URL=url, DATABASE_CONNECT_TIMEOUT_S="3600")
    status, _, err = await run([*DETENTE, "db", "migrate"], env, REPO)
    assert status == 1, err
    assert 'database "detente_test_no_such_database" does not exist' in err.strip().splitlines()[-1]
    assert RETRYING not in err


def test_messages_never_show_the_password() -> None:
    assert redacted("postgresql://detente:s3cret@postgres:5432/detente") == (
        "postgresql://detente:***@postgres:5432/detente"
    )
    assert redacted("postgresql://postgres@127.0.0.1:5432/postgres") == (
        "postgresql://postgres@127.0.0.1:5432/postgres"
    )
