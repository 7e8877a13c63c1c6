"""The dataset as tables for files: one query per entity and link table, references by slug,
rows in a fixed order (so the files are the same bytes for the same release)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# table name in the package -> (the query, its columns in order). Columns are named as in the
# package's CSV; references to other records are their slugs.
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "topic": (
        "select slug, name, description from topic order by slug",
        ("slug", "name", "description"),
    ),
    "source": (
        "select slug, title, publisher, url, published_on, published_precision, accessed_on, kind, "
        "language from source order by slug",
        (
            "slug",
            "title",
            "publisher",
            "url",
            "published_on",
            "published_precision",
            "accessed_on",
            "kind",
            "language",
        ),
    ),
    "actor": (
        "select a.slug, a.name, a.name_zh, a.kind, a.country, p.slug as parent, a.description, "
        "to_json(a.aliases)::text as aliases from actor a left join actor p on p.id = a.parent_id "
        "order by a.slug",
        ("slug", "name", "name_zh", "kind", "country", "parent", "description", "aliases"),
    ),
    "event": (
        "select e.slug, e.title, e.summary, e.date, e.date_precision, e.end_date, e.end_date_precision, "
        "e.category, e.stance, e.cooperation_score, e.score_rationale, e.significance, e.confidence, "
        "e.confidence_note, i.slug as implements "
        "from event e left join event i on i.id = e.implements_event_id order by e.slug",
        (
            "slug",
            "title",
            "summary",
            "date",
            "date_precision",
            "end_date",
            "end_date_precision",
            "category",
            "stance",
            "cooperation_score",
            "score_rationale",
            "significance",
            "confidence",
            "confidence_note",
            "implements",
        ),
    ),
    "policy": (
        "select p.slug, p.title, p.title_zh, a.slug as issuer, p.jurisdiction, p.instrument, p.status, "
        "p.announced_on, p.effective_on, p.ended_on, p.summary, p.official_url, p.stance, p.confidence, "
        "p.confidence_note from policy p join actor a on a.id = p.issuer_id order by p.slug",
        (
            "slug",
            "title",
            "title_zh",
            "issuer",
            "jurisdiction",
            "instrument",
            "status",
            "announced_on",
            "effective_on",
            "ended_on",
            "summary",
            "official_url",
            "stance",
            "confidence",
            "confidence_note",
        ),
    ),
    "metric": (
        "select slug, name, description, unit from metric order by slug",
        ("slug", "name", "description", "unit"),
    ),
    "observation": (
        "select m.slug as metric, a.slug as entity, o.date, o.date_precision, o.value, s.slug as source, "
        "o.confidence, o.note from observation o join metric m on m.id = o.metric_id "
        "join actor a on a.id = o.entity_id join source s on s.id = o.source_id "
        "order by m.slug, a.slug, o.date",
        ("metric", "entity", "date", "date_precision", "value", "source", "confidence", "note"),
    ),
}


def _link(table: str, left: str, right: str, extra: str = "") -> tuple[str, tuple[str, ...]]:
    cols = f", l.{extra}" if extra else ""
    sql = (
        f"select x.slug as {left}, y.slug as {right}{cols} from {table} l "
        f"join {left} x on x.id = l.{left}_id join {right} y on y.id = l.{right}_id "
        f"order by x.slug, y.slug{cols}"
    )
    return sql, (left, right, *([extra] if extra else []))


LINK_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "event_actor": _link("event_actor", "event", "actor", "role"),
    "event_policy": _link("event_policy", "event", "policy"),
    "event_topic": _link("event_topic", "event", "topic"),
    "event_source": _link("event_source", "event", "source"),
    "policy_topic": _link("policy_topic", "policy", "topic"),
    "policy_source": _link("policy_source", "policy", "source"),
    "actor_source": _link("actor_source", "actor", "source"),
    "metric_source": _link("metric_source", "metric", "source"),
}

ALL_TABLES = {**TABLES, **LINK_TABLES}

BATCH_ROWS = 5000


async def table_rows(
    conn: asyncpg.Connection | PoolConnectionProxy, table: str
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The rows of a package table in batches (a cursor: memory stays bounded whatever the size);
    `conn` must be in a transaction."""
    sql, _ = ALL_TABLES[table]
    cursor = await conn.cursor(sql)
    while batch := await cursor.fetch(BATCH_ROWS):
        yield [tuple(r.values()) for r in batch]


async def release_for_package(conn: asyncpg.Connection | PoolConnectionProxy) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "select version, released_on, notes, license, content_hash, changelog "
        "from release order by loaded_at desc, id desc limit 1"
    )
    return dict(row.items()) if row else None
