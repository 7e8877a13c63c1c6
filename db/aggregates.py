"""Aggregates over events and observations, computed in SQL (GROUP BY, FILTER, window-free
array_agg ordering), never in Python loops.

Every aggregate of events is over the events the cooperation index counts (`counted_in_index`,
migration 0006): an event that implements another is the same act, counted once, through the
event it implements."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from db.events import EventFilter, events_sql

# The condition every event aggregate adds: one act, counted once.
COUNTED = "e.counted_in_index"

INTERVALS = {"MONTH": "month", "QUARTER": "quarter", "YEAR": "year"}

# Each grouping: the joins it needs, the key and label expressions. Events are counted once per
# group even when several of their actors fall in it.
GROUPINGS: dict[str, tuple[str, str, str]] = {
    "CATEGORY": ("", "e.category", "e.category"),
    "STANCE": ("", "e.stance", "e.stance"),
    "YEAR": ("", "extract(year from e.date)::int::text", "extract(year from e.date)::int::text"),
    "TOPIC": (
        "join event_topic gt on gt.event_id = e.id join topic g on g.id = gt.topic_id",
        "g.slug",
        "g.name",
    ),
    "ACTOR": (
        "join event_actor ga on ga.event_id = e.id join actor g on g.id = ga.actor_id",
        "g.slug",
        "g.name",
    ),
    "COUNTRY": (
        "join event_actor ga on ga.event_id = e.id join actor g on g.id = ga.actor_id "
        "and g.country is not null",
        "g.country",
        "g.country",
    ),
}


async def timeline(
    conn: asyncpg.Pool | asyncpg.Connection, interval: str, f: EventFilter | None
) -> list[dict[str, Any]]:
    """One bucket per period with events: counts by stance, score sum and mean, the top event."""
    if f is None:
        return await _timeline_from_rollup(conn, interval)
    sql = events_sql(f)
    sql.filter(COUNTED)
    unit = sql.param(INTERVALS[interval])
    rows = await conn.fetch(
        f"""
        select date_trunc({unit}, e.date)::date as period_start,
               count(*) as events,
               count(*) filter (where e.stance = 'COOPERATIVE') as cooperative,
               count(*) filter (where e.stance = 'COMPETITIVE') as competitive,
               count(*) filter (where e.stance = 'MIXED') as mixed,
               count(*) filter (where e.stance = 'NEUTRAL') as neutral,
               sum(e.cooperation_score) as score_sum,
               avg(e.cooperation_score)::float8 as score_mean,
               (array_agg(e.id order by e.significance desc, e.date desc, e.id desc))[1]
                   as top_event_id
        from {sql.from_} where {sql.where_sql()}
        group by 1 order by 1
        """,
        *sql.params,
    )
    return [dict(r.items()) for r in rows]


async def _timeline_from_rollup(
    conn: asyncpg.Pool | asyncpg.Connection, interval: str
) -> list[dict[str, Any]]:
    """The unfiltered timeline from the monthly rollup: its cost follows the number of months,
    not of events. Same answer as the scan (the rollup keeps each month's top event)."""
    rows = await conn.fetch(
        """
        select date_trunc($1, r.month)::date as period_start,
               sum(r.events)::bigint as events,
               sum(r.cooperative)::bigint as cooperative,
               sum(r.competitive)::bigint as competitive,
               sum(r.mixed)::bigint as mixed,
               sum(r.neutral)::bigint as neutral,
               sum(r.score_sum)::bigint as score_sum,
               (sum(r.score_sum)::float8 / sum(r.events)) as score_mean,
               (array_agg(r.top_event_id order by r.top_significance desc, r.top_date desc,
                                                  r.top_event_id desc))[1] as top_event_id
        from event_month_rollup r
        group by 1 order by 1
        """,
        INTERVALS[interval],
    )
    return [dict(r.items()) for r in rows]


async def event_counts(
    conn: asyncpg.Pool | asyncpg.Connection, group_by: str, f: EventFilter | None
) -> list[dict[str, Any]]:
    joins, key, label = GROUPINGS[group_by]
    sql = events_sql(f, joins)
    sql.filter(COUNTED)
    # Distinct (group, event) pairs first, so an event with two roles counts (and scores) once.
    rows = await conn.fetch(
        f"""
        select key, min(label) as label, count(*) as events, avg(score)::float8 as score_mean
        from (select distinct {key} as key, {label} as label, e.id, e.cooperation_score as score
              from {sql.from_} where {sql.where_sql()}) pairs
        group by key order by events desc, key
        """,
        *sql.params,
    )
    return [dict(r.items()) for r in rows]


async def series_summary(
    conn: asyncpg.Pool | asyncpg.Connection,
    metric_id: int,
    entity_slug: str,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """
        select count(*) as observations,
               (array_agg(o.date order by o.date))[1] as first_date,
               (array_agg(o.value order by o.date))[1] as first_value,
               (array_agg(o.date order by o.date desc))[1] as latest_date,
               (array_agg(o.value order by o.date desc))[1] as latest_value,
               min(o.value) as min_value, max(o.value) as max_value
        from observation o join actor a on a.id = o.entity_id
        where o.metric_id = $1 and a.slug = $2
          and ($3::date is null or o.date >= $3) and ($4::date is null or o.date <= $4)
        """,
        metric_id,
        entity_slug,
        date_from,
        date_to,
    )
    if row is None or row["observations"] == 0:
        return None
    return dict(row.items())
