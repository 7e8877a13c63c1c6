"""The pool: a connection a cancel was sent on is closed on release, never handed to the next
request (a late cancel would fail that request's statement); a settled one goes back at once."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
import pytest

from api.database import create_pool
from api.settings import Settings


async def test_a_connection_whose_statement_was_cancelled_is_never_reused(settings: Settings, fresh_url: str) -> None:
    pool = await create_pool(fresh_url, settings.model_copy(update={"pool_min_size": 1, "pool_max_size": 2}))
    try:
        started = asyncio.Event()
        cancelled_pid = 0

        async def slow() -> None:
            nonlocal cancelled_pid
            async with pool.acquire() as conn:
                cancelled_pid = conn.get_server_pid()
                started.set()
                await conn.execute("select pg_sleep(30)")

        task = asyncio.create_task(slow())
        await started.wait()
        await asyncio.sleep(0.2)  # the statement is running
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

        # Every connection the pool now gives (all it may open, at once) is another backend.
        held = [await pool.acquire() for _ in range(2)]
        try:
            pids = {conn.get_server_pid() for conn in held}
            assert cancelled_pid not in pids
            assert all(await asyncio.gather(*(conn.fetchval("select true") for conn in held)))
        finally:
            for conn in held:
                await pool.release(conn)
        assert pool.get_size() <= 2

        # The backend that ran the cancelled statement was closed, not left idle.
        probe = await asyncpg.connect(fresh_url)
        try:
            for _ in range(100):
                if not await probe.fetchval("select exists(select 1 from pg_stat_activity where pid = $1)", cancelled_pid):
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the cancelled connection's backend is still there")
        finally:
            await probe.close()
    finally:
        await pool.close()


async def test_a_settled_connection_goes_back_unshielded_and_an_open_transaction_is_rolled_back(
    settings: Settings, fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shielded: list[object] = []
    shield = asyncio.shield

    def recording(work: Any) -> Any:
        shielded.append(work)
        return shield(work)

    monkeypatch.setattr(asyncio, "shield", recording)
    pool = await create_pool(fresh_url, settings.model_copy(update={"pool_min_size": 1, "pool_max_size": 1}))
    try:
        async with pool.acquire() as conn:
            pid = conn.get_server_pid()
            assert await conn.fetchval("select 1") == 1
        assert shielded == []  # nothing to wait for: released at once
        assert pool.get_idle_size() == 1
        async with pool.acquire() as conn:
            assert conn.get_server_pid() == pid  # the same connection, taken back
            await conn.execute("begin")
            await conn.execute("create temporary table left_open (x int)")
        assert len(shielded) == 1  # a transaction to roll back: asyncpg's shielded release
        async with pool.acquire() as conn:
            assert conn.get_server_pid() == pid and not conn.is_in_transaction()
            assert await conn.fetchval("select to_regclass('left_open')") is None  # rolled back
    finally:
        await pool.close()
