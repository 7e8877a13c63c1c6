"""The loaded data release."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

# The channel a seed load notifies (in its transaction, so at commit) with the new content hash;
# every service process listens on it (api/release_events.py).
RELEASE_CHANNEL = "detente_release"


async def latest_release(conn: asyncpg.Pool | asyncpg.Connection) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "select version, released_on, notes, license, content_hash, row_counts, loaded_at, coverage_ends "
        "from release order by loaded_at desc, id desc limit 1"
    )
    if row is None:
        return None
    release = dict(row.items())
    release["row_counts"] = json.loads(release["row_counts"])
    return release


async def latest_content_hash(conn: asyncpg.Pool | asyncpg.Connection) -> str | None:
    value = await conn.fetchval("select content_hash from release order by loaded_at desc, id desc limit 1")
    return str(value) if value is not None else None


async def answers_tag(conn: asyncpg.Pool | asyncpg.Connection) -> str:
    """What every answer depends on: the loaded release and the database's today (a policy's
    `statusUnconfirmed` turns true the day its stated end passes, with no reload), as
    `contentHash/day`."""
    value = await conn.fetchval(
        "select coalesce((select content_hash from release order by loaded_at desc, id desc limit 1), '')"
        " || '/' || current_date::text"
    )
    return str(value)


def content_hash_of(tag: str) -> str:
    """The release's content hash in a tag `answers_tag` made ("" when none is loaded)."""
    return tag.split("/", 1)[0]
