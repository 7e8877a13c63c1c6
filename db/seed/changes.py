"""What a load does to each record: a fingerprint per record of the files, compared with the
stored ones, written as the release's changes (migration 0005) in the load's transaction."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

import asyncpg
from pydantic import BaseModel

from db.seed.read import Dataset

# Fields added to a kind after its records were first fingerprinted: left out while unset, so
# adding the field does not mark every record of the kind as changed.
_ADDED_LATER = frozenset({"implements"})


def _digest(parts: Iterable[BaseModel]) -> str:
    h = hashlib.sha256()
    for part in parts:
        unset = {name for name in _ADDED_LATER if getattr(part, name, None) is None}
        h.update(part.model_dump_json(exclude=unset or None).encode())
        h.update(b"\n")
    return h.hexdigest()


def fingerprints(data: Dataset) -> dict[tuple[str, str], str]:
    """(kind, slug) -> SHA-256 of the record as the files give it (its links included); a
    metric's covers its observations, so a new or revised figure changes the metric."""
    observations: dict[str, list[BaseModel]] = defaultdict(list)
    for o in data.observations:
        observations[o.metric].append(o)
    found: dict[tuple[str, str], str] = {}
    for kind, records in (
        ("event", data.events),
        ("policy", data.policies),
        ("actor", data.actors),
        ("source", data.sources),
        ("topic", data.topics),
    ):
        for record in records:
            found[(kind, record.slug)] = _digest([record])
    for metric in data.metrics:
        points = sorted(observations[metric.slug], key=lambda o: (o.entity, o.date.value))  # type: ignore[attr-defined]
        found[("metric", metric.slug)] = _digest([metric, *points])
    return found


async def record_changes(conn: asyncpg.Connection, release_id: int, data: Dataset) -> dict[str, int]:
    """Compares the files with the stored fingerprints, writes this release's changes and the new
    fingerprints; returns how many records were added, changed and removed."""
    now = fingerprints(data)
    before = {
        (r["kind"], r["slug"]): r["fingerprint"]
        for r in await conn.fetch("select kind, slug, fingerprint from record_state")
    }
    changes: list[tuple[str, str, str]] = []
    for key, fingerprint in sorted(now.items()):
        old = before.get(key)
        if old is None:
            changes.append((*key, "ADDED"))
        elif old != fingerprint:
            changes.append((*key, "CHANGED"))
    changes += [(*key, "REMOVED") for key in sorted(before.keys() - now.keys())]
    if changes:
        await conn.execute(
            """
            insert into record_change (release_id, kind, slug, change)
            select $1, * from unnest($2::text[], $3::text[], $4::text[])
            """,
            release_id,
            [c[0] for c in changes],
            [c[1] for c in changes],
            [c[2] for c in changes],
        )
    await conn.execute("delete from record_state")
    await conn.execute(
        "insert into record_state (kind, slug, fingerprint) "
        "select * from unnest($1::text[], $2::text[], $3::text[])",
        [k for k, _ in now],
        [s for _, s in now],
        list(now.values()),
    )
    counts = {"ADDED": 0, "CHANGED": 0, "REMOVED": 0}
    for *_, change in changes:
        counts[change] += 1
    return counts
