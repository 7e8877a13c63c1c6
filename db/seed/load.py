"""Writes a validated Dataset to Postgres: upsert by slug, delete what the files no longer hold.

Everything happens in one transaction, so a failure leaves the database as it was; rows whose
values did not change are not touched, so loading the same files twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from pydantic import BaseModel

from db.entities import BY_KIND, ENTITIES, SLUGGED
from db.release import RELEASE_CHANNEL
from db.seed.changes import record_changes
from db.seed.models import Event, FuzzyDate, Source
from db.seed.read import Dataset, read_dataset

R = TypeVar("R", bound=BaseModel)  # a seed record


@dataclass
class SeedReport:
    """What a load changed, per table: rows inserted, updated and deleted."""

    release_version: str
    skipped: bool = False
    changes: dict[str, dict[str, int]] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)  # records ADDED, CHANGED, REMOVED

    def _bump(self, table: str, what: str, count: int) -> None:
        if count:
            entry = self.changes.setdefault(table, {"inserted": 0, "updated": 0, "deleted": 0})
            entry[what] += count

    @property
    def changed(self) -> bool:
        return bool(self.changes)


async def load_seeds(conn: asyncpg.Connection, root: Path, *, force: bool = False) -> SeedReport:
    """Validate `root` and load it. Raises SeedError (nothing written) on invalid files.

    When the newest release row already has this content hash the load is skipped, unless forced.
    """
    dataset = read_dataset(root)
    report = SeedReport(release_version=dataset.release.version)
    async with conn.transaction():
        # Serialise concurrent loads (two `make serve` at once) instead of interleaving them.
        await conn.execute("select pg_advisory_xact_lock(hashtext('detente.seed'))")
        latest = await conn.fetchval(
            "select content_hash from release order by loaded_at desc, id desc limit 1"
        )
        if latest == dataset.content_hash and not force:
            report.skipped = True
            return report
        await _write(conn, dataset, report)
        # A forced reload of unchanged files writes no new release row.
        if report.changed or latest != dataset.content_hash:
            release_id = await _record_release(conn, dataset, _changelog(root))
            report.records = await record_changes(conn, release_id, dataset)
            # Delivered at commit: every listening service drops its caches and reads the new tag.
            await conn.execute("select pg_notify($1, $2)", RELEASE_CHANNEL, dataset.content_hash)
    return report


async def _write(conn: asyncpg.Connection, data: Dataset, report: SeedReport) -> None:
    # Deletes run first, children before parents, so foreign keys hold and a record renamed
    # in the files (same URL or topic name, new slug) frees its unique value before the upsert.
    await _delete_missing(conn, report, "event", [e.slug for e in data.events])
    await _delete_missing(conn, report, "policy", [p.slug for p in data.policies])
    await _delete_missing(conn, report, "metric", [m.slug for m in data.metrics])
    await _delete_changed_observations(conn, report, data)
    await _delete_missing(conn, report, "topic", [t.slug for t in data.topics])
    await _delete_missing(conn, report, "source", [s.slug for s in data.sources])

    await _upsert(conn, report, "topic", data.topics)
    await _upsert(conn, report, "source", data.sources, _source_dates)
    await _upsert(conn, report, "actor", data.actors)
    await _set_links(conn, report, "actor", "parent_id", [(a.slug, a.parent) for a in data.actors])
    await _upsert(conn, report, "metric", data.metrics)
    actor_ids = await _ids(conn, "actor")
    await _upsert(conn, report, "policy", data.policies, lambda p: {"issuer_id": actor_ids[p.issuer]})
    await _upsert(conn, report, "event", data.events, _event_dates)
    await _set_links(
        conn, report, "event", "implements_event_id", [(e.slug, e.implements) for e in data.events]
    )
    await _observations(conn, report, data, actor_ids)

    ids = {e.kind: await _ids(conn, e.kind) for e in SLUGGED if e.kind != "actor"}
    ids["actor"] = actor_ids
    await _links(
        conn,
        report,
        "event_actor",
        ("event_id", "actor_id", "role"),
        [(ids["event"][e.slug], actor_ids[p.actor], p.role) for e in data.events for p in e.actors],
    )
    await _links(
        conn,
        report,
        "event_policy",
        ("event_id", "policy_id"),
        [(ids["event"][e.slug], ids["policy"][s]) for e in data.events for s in e.policies],
    )
    await _links(
        conn,
        report,
        "event_topic",
        ("event_id", "topic_id"),
        [(ids["event"][e.slug], ids["topic"][s]) for e in data.events for s in e.topics],
    )
    await _links(
        conn,
        report,
        "event_source",
        ("event_id", "source_id"),
        [(ids["event"][e.slug], ids["source"][s]) for e in data.events for s in e.sources],
    )
    await _links(
        conn,
        report,
        "policy_topic",
        ("policy_id", "topic_id"),
        [(ids["policy"][p.slug], ids["topic"][s]) for p in data.policies for s in p.topics],
    )
    await _links(
        conn,
        report,
        "policy_source",
        ("policy_id", "source_id"),
        [(ids["policy"][p.slug], ids["source"][s]) for p in data.policies for s in p.sources],
    )
    await _links(
        conn,
        report,
        "actor_source",
        ("actor_id", "source_id"),
        [(actor_ids[a.slug], ids["source"][s]) for a in data.actors for s in a.sources],
    )
    await _links(
        conn,
        report,
        "metric_source",
        ("metric_id", "source_id"),
        [(ids["metric"][m.slug], ids["source"][s]) for m in data.metrics for s in m.sources],
    )

    # Actors go last: policies may only now have moved to a new issuer.
    await _delete_missing(conn, report, "actor", [a.slug for a in data.actors])


async def _delete_changed_observations(conn: asyncpg.Connection, report: SeedReport, data: Dataset) -> None:
    """Observations that are not in the files exactly as stored (gone, or another value, source,
    confidence or note); the changed ones are inserted again afterwards."""
    rows = [
        (o.metric, o.entity, o.date.value, o.date.precision, o.value, o.source, o.confidence, o.note)
        for o in data.observations
    ]
    cols: list[Any] = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(8)]
    status = await conn.execute(
        """
        delete from observation o
        using metric m, actor a, source s
        where m.id = o.metric_id and a.id = o.entity_id and s.id = o.source_id
          and not exists (
            select 1 from unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::float8[],
                                 $6::text[], $7::text[], $8::text[]) as v(m, e, d, p, val, src, c, n)
            where v.m = m.slug and v.e = a.slug and v.d = o.date and v.p = o.date_precision
              and v.val = o.value and v.src = s.slug and v.c = o.confidence
              and v.n is not distinct from o.note)
        """,
        *cols,
    )
    report._bump("observation", "deleted", int(status.split()[-1]))


async def _ids(conn: asyncpg.Connection, table: str) -> dict[str, int]:
    return {r["slug"]: r["id"] for r in await conn.fetch(f"select slug, id from {table}")}


async def _delete_missing(conn: asyncpg.Connection, report: SeedReport, table: str, slugs: list[str]) -> None:
    status = await conn.execute(f"delete from {table} where slug <> all($1::text[])", slugs)
    report._bump(table, "deleted", int(status.split()[-1]))


async def _written_columns(conn: asyncpg.Connection, table: str) -> list[tuple[str, str]]:
    """The columns of an entity's table the upsert writes, in the table's order (db/entities.py),
    each with its type as the migrations made it (read from the catalog, not written again)."""
    found = await conn.fetch(
        "select attname, format_type(atttypid, atttypmod) as type from pg_attribute "
        "where attrelid = $1::regclass and attnum > 0 and not attisdropped and attgenerated = ''",
        table,
    )
    types: dict[str, str] = {r["attname"]: r["type"] for r in found}
    entity = BY_KIND[table].table
    # Links to records of the same table are set once every record exists (_set_links).
    later = {c for c, r in entity.references.items() if r.table == table}
    columns = [c for c in entity.columns if " " not in c and c != "id"]
    return [(c, types[c]) for c in columns if c in types and c not in later]


def _fuzzy(date: FuzzyDate | None) -> tuple[dt.date | None, str | None]:
    return (date.value, date.precision) if date is not None else (None, None)


def _source_dates(s: Source) -> dict[str, Any]:
    published_on, published_precision = _fuzzy(s.published_on)
    return {"published_on": published_on, "published_precision": published_precision}


def _event_dates(e: Event) -> dict[str, Any]:
    end_date, end_date_precision = _fuzzy(e.end_date)
    return {
        "date": e.date.value,
        "date_precision": e.date.precision,
        "end_date": end_date,
        "end_date_precision": end_date_precision,
    }


def _row(table: str, record: BaseModel, names: Sequence[str], computed: dict[str, Any]) -> dict[str, Any]:
    """The row of `table` for a seed record: each written column from `computed` (what is not a
    field of the same name: a fuzzy date split into value and precision, a reference resolved
    to an id), else from the record's field of that name. A column with neither, a computed
    value no column takes, or a fuzzy date left unsplit is an error, not a value misplaced."""
    fields = type(record).model_fields
    row: dict[str, Any] = {}
    for name in names:
        if name in computed:
            row[name] = computed[name]
        elif name in fields:
            row[name] = getattr(record, name)
            if isinstance(row[name], FuzzyDate):
                raise RuntimeError(f"{table}.{name}: a fuzzy date is written as its value and precision")
        else:
            raise RuntimeError(f"{table}.{name}: the seed model has no such field and nothing computes it")
    if unknown := set(computed) - set(names):
        raise RuntimeError(f"{table}: the loader computes {sorted(unknown)}, which the table does not have")
    return row


async def _upsert(
    conn: asyncpg.Connection,
    report: SeedReport,
    table: str,
    records: Sequence[R],
    computed: Callable[[R], dict[str, Any]] | None = None,
) -> None:
    """Inserts or updates the records of `table` by slug. The columns written are the table's
    (`_written_columns`); each record's values come from its seed model's fields of the same
    names, or from `computed` (see `_row`): a field added to the seed model and the table is
    written without listing it here."""
    columns = await _written_columns(conn, table)
    names = [c for c, _ in columns]
    rows = [_row(table, r, names, computed(r) if computed else {}) for r in records]
    # An array column (aliases) travels as JSON text, so that one unnest carries an array per row.
    arrays = {c for c, t in columns if t.endswith("[]")}
    selects = [
        f"array(select jsonb_array_elements_text(v.{c}::jsonb))" if c in arrays else f"v.{c}" for c in names
    ]
    unnest = ", ".join(f"${i + 1}::{'text' if c in arrays else t}[]" for i, (c, t) in enumerate(columns))
    updates = ", ".join(f"{c} = excluded.{c}" for c in names[1:])
    differs = " or ".join(f"{table}.{c} is distinct from excluded.{c}" for c in names[1:])
    sql = f"""
        insert into {table} ({", ".join(names)})
        select {", ".join(selects)} from unnest({unnest}) as v({", ".join(names)})
        on conflict (slug) do update set {updates} where {differs}
        returning (xmax = 0) as inserted
    """
    values = [[json.dumps(r[c]) if c in arrays else r[c] for r in rows] for c in names]
    result = await conn.fetch(sql, *values)
    inserted = sum(1 for r in result if r["inserted"])
    report._bump(table, "inserted", inserted)
    report._bump(table, "updated", len(result) - inserted)


async def _set_links(
    conn: asyncpg.Connection, report: SeedReport, table: str, column: str, pairs: list[tuple[str, str | None]]
) -> None:
    """Each record's link to another record of its own table (an actor's parent, the event an
    event implements), by slug, once every record exists: a link may name one added in this same
    load. One statement, so a rule checked at commit (one level of `implements`) sees only the
    final links."""
    target = BY_KIND[table].table.references[column].table
    status = await conn.execute(
        f"""
        update {table} r set {column} = t.id
        from unnest($1::text[], $2::text[]) as v(slug, target_slug)
        left join {target} t on t.slug = v.target_slug
        where r.slug = v.slug and r.{column} is distinct from t.id
        """,
        [s for s, _ in pairs],
        [t for _, t in pairs],
    )
    report._bump(table, "updated", int(status.split()[-1]))


async def _observations(
    conn: asyncpg.Connection, report: SeedReport, data: Dataset, actor_ids: dict[str, int]
) -> None:
    metric_ids = await _ids(conn, "metric")
    source_ids = await _ids(conn, "source")
    rows = [
        (
            metric_ids[o.metric],
            actor_ids[o.entity],
            o.date.value,
            o.date.precision,
            o.value,
            source_ids[o.source],
            o.confidence,
            o.note,
        )
        for o in data.observations
    ]
    cols: list[Any] = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(8)]
    # Changed observations were deleted up front; what is missing now is new or changed.
    status = await conn.execute(
        """
        insert into observation
            (metric_id, entity_id, date, date_precision, value, source_id, confidence, note)
        select * from unnest($1::bigint[], $2::bigint[], $3::date[], $4::text[],
                             $5::float8[], $6::bigint[], $7::text[], $8::text[])
        on conflict (metric_id, entity_id, date) do nothing
        """,
        *cols,
    )
    report._bump("observation", "inserted", int(status.split()[-1]))


async def _links(
    conn: asyncpg.Connection,
    report: SeedReport,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
) -> None:
    rows = sorted(set(rows))
    types = ["text" if c == "role" else "bigint" for c in columns]
    cols = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in columns]
    unnest = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(types))
    names = ", ".join(columns)
    status = await conn.execute(
        f"delete from {table} where ({names}) not in (select * from unnest({unnest}))", *cols
    )
    report._bump(table, "deleted", int(status.split()[-1]))
    status = await conn.execute(
        f"insert into {table} ({names}) select * from unnest({unnest}) on conflict do nothing",
        *cols,
    )
    report._bump(table, "inserted", int(status.split()[-1]))


def _changelog(root: Path) -> str | None:
    """The data changelog beside the files, kept with the release (its dataset package carries it)."""
    path = root / "CHANGELOG.md"
    return path.read_text(encoding="utf-8") if path.is_file() else None


async def _record_release(conn: asyncpg.Connection, data: Dataset, changelog: str | None) -> int:
    counts = {}
    for entity in ENTITIES:
        counts[entity.kind] = await conn.fetchval(f"select count(*) from {entity.kind}")
    release_id: int = await conn.fetchval(
        """
        insert into release
            (version, released_on, notes, license, content_hash, row_counts, changelog, coverage_ends)
        values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
        returning id
        """,
        data.release.version,
        data.release.date,
        data.release.notes,
        data.release.license,
        data.content_hash,
        json.dumps(counts),
        changelog,
        data.release.coverage_ends,
    )
    return release_id
