"""A seed load announces the new release on the release channel, at commit; a skipped load does not."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import asyncpg

from db.release import RELEASE_CHANNEL, latest_content_hash
from db.seed import load_seeds
from tests.conftest import FIXTURE_SEEDS

WAIT_S = 30.0  # a bound for a lost notice to fail the test, not a measurement


async def test_a_load_notifies_the_release_channel_at_commit(fresh_url: str, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(FIXTURE_SEEDS, seeds)
    topics = seeds / "topics.yaml"
    topics.write_text(topics.read_text().replace("name: AI safety", "name: AI safety, renamed"))
    heard: asyncio.Queue[str] = asyncio.Queue()

    def notified(*args: Any) -> None:
        heard.put_nowait(str(args[3]))

    listener = await asyncpg.connect(fresh_url)
    conn = await asyncpg.connect(fresh_url)
    try:
        await listener.add_listener(RELEASE_CHANNEL, notified)
        report = await load_seeds(conn, seeds)
        assert report.changed
        assert await asyncio.wait_for(heard.get(), WAIT_S) == await latest_content_hash(conn)

        assert (await load_seeds(conn, seeds)).skipped
        await conn.execute("select pg_notify($1, 'sentinel')", RELEASE_CHANNEL)
        assert await asyncio.wait_for(heard.get(), WAIT_S) == "sentinel", "a skipped load is silent"
    finally:
        await conn.close()
        await listener.close()
