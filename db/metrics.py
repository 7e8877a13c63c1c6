"""SQL over metrics and their observations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import asyncpg

from db.actors import escape_like
from db.columns import COLUMNS
from db.paging import Ordering, Sql
from db.tables import Reference, Table, key

METRICS = Table(
    name="metric",
    alias="m",
    columns=COLUMNS["metric"],
    orderings={
        "NAME_ASC": Ordering("NAME_ASC", (key("m", "name", "text"), key("m", "id", "bigint"))),
        "NAME_DESC": Ordering("NAME_DESC", (key("m", "name", "text", True), key("m", "id", "bigint", True))),
    },
    default_ordering="NAME_ASC",
)


@dataclass(frozen=True)
class MetricFilter:
    entity_slugs: tuple[str, ...] = ()  # metrics observed for any of these entities
    search: str | None = None


def metrics_sql(f: MetricFilter | None = None) -> Sql:
    sql = METRICS.sql()
    if f is None:
        return sql
    if f.entity_slugs:
        sql.filter(
            "exists (select 1 from observation xo join actor xa on xa.id = xo.entity_id "
            f"where xo.metric_id = m.id and xa.slug = any({sql.param(list(f.entity_slugs), 'text[]')}))"
        )
    if f.search:
        pattern = sql.param(f"%{escape_like(f.search)}%")
        sql.filter(f"m.name ilike {pattern} or m.description ilike {pattern} or m.slug ilike {pattern}")
    return sql


OBSERVATIONS = Table(
    name="observation",
    alias="o",
    columns=(
        *COLUMNS["observation"],
        "(select slug from metric where id = o.metric_id) as metric_slug",
        "(select slug from actor where id = o.entity_id) as entity_slug",
    ),
    orderings={
        "DATE_ASC": Ordering("DATE_ASC", (key("o", "date", "date"), key("o", "id", "bigint"))),
        "DATE_DESC": Ordering("DATE_DESC", (key("o", "date", "date", True), key("o", "id", "bigint", True))),
    },
    default_ordering="DATE_ASC",
    references={
        "metric_id": Reference("metric", "metric"),
        "entity_id": Reference("entity", "actor"),
        "source_id": Reference("source", "source"),
    },
    natural_key=("metric", "entity", "date"),
)


@dataclass(frozen=True)
class ObservationFilter:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    entity_slugs: tuple[str, ...] = ()


def observations_sql(f: ObservationFilter | None = None) -> Sql:
    sql = OBSERVATIONS.sql()
    if f is None:
        return sql
    if f.date_from is not None:
        sql.filter(f"o.date >= {sql.param(f.date_from)}")
    if f.date_to is not None:
        sql.filter(f"o.date <= {sql.param(f.date_to)}")
    if f.entity_slugs:
        sql.filter(
            "o.entity_id in (select id from actor "
            f"where slug = any({sql.param(list(f.entity_slugs), 'text[]')}))"
        )
    return sql


async def observation_by_key(
    conn: asyncpg.Pool | asyncpg.Connection, metric_slug: str, entity_slug: str, date: dt.date
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"select {OBSERVATIONS.select} from observation o "
        "join metric m on m.id = o.metric_id join actor a on a.id = o.entity_id "
        "where m.slug = $1 and a.slug = $2 and o.date = $3",
        metric_slug,
        entity_slug,
        date,
    )
    return dict(row.items()) if row else None
