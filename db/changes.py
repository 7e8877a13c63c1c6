"""Which releases added, changed or removed which records (written by the seed loader)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from db.entities import SLUGGED

KINDS = tuple(e.kind for e in SLUGGED)


@dataclass(frozen=True)
class RecordChange:
    """The net effect on one record of the releases after `since`, and the last release that
    touched it."""

    kind: str
    slug: str
    change: str  # ADDED, CHANGED or REMOVED
    release: str


class UnknownRelease(Exception):
    def __init__(self, version: str) -> None:
        super().__init__(version)
        self.version = version


async def changes_since(conn: asyncpg.Pool | asyncpg.Connection, since: str | None) -> list[RecordChange]:
    """Records changed by the releases loaded after the last load of `since` (every change when
    None), net per record: added then changed is ADDED, anything then removed is REMOVED (a
    tombstone), otherwise CHANGED. Raises UnknownRelease for a version never loaded."""
    after = 0
    if since is not None:
        found = await conn.fetchval("select max(id) from release where version = $1", since)
        if found is None:
            raise UnknownRelease(since)
        after = int(found)
    rows = await conn.fetch(
        """
        select c.kind, c.slug,
               (array_agg(c.change order by c.release_id, c.id))[1] as first_change,
               (array_agg(c.change order by c.release_id desc, c.id desc))[1] as last_change,
               (array_agg(r.version order by c.release_id desc, c.id desc))[1] as release
        from record_change c join release r on r.id = c.release_id
        where c.release_id > $1
        group by c.kind, c.slug
        order by c.kind, c.slug
        """,
        after,
    )
    changes = []
    for r in rows:
        if r["last_change"] == "REMOVED":
            change = "REMOVED"
        elif r["first_change"] == "ADDED":
            change = "ADDED"
        else:
            change = "CHANGED"
        changes.append(RecordChange(r["kind"], r["slug"], change, r["release"]))
    return changes
