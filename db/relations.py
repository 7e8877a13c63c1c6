"""Every relation the API follows, as SQL: the related table, the parent column, the joins.

One statement loads a page of the relation for any number of parents (see paging), so a
nested query costs one statement per relation per level, however many parents it has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import asyncpg

from db import actors, events, policies, sources
from db.metrics import OBSERVATIONS, observations_sql
from db.paging import (
    ListResults,
    Ordering,
    Page,
    Row,
    SiblingList,
    SortKey,
    Sql,
    Window,
    count_by_parent,
    fetch_pages_by_parent,
    fetch_rows_with_lists,
    fetch_sibling_lists,
)
from db.tables import Table
from db.topics import TOPICS


@dataclass(frozen=True, eq=False)  # hashed by identity: each is a module constant
class Relation:
    name: str
    table: Table  # the related table, whose orderings the relation offers
    parent: str  # SQL expression of the parent's id
    build: Callable[[Any], Sql]  # filter (or None) -> the query over related rows
    tiebreak: SortKey | None = None  # when one related row can appear twice (two roles)


_ROLE = SortKey("ea.role", "text")


RELATIONS: dict[str, Relation] = {
    r.name: r
    for r in [
        Relation(
            "event.actors", actors.ACTORS, "ea.event_id", lambda f: actors.actors_with_role_sql(), _ROLE
        ),
        Relation("actor.events", events.EVENTS, "ea.actor_id", events.events_with_role_sql, _ROLE),
        Relation(
            "event.policies",
            policies.POLICIES,
            "ep.event_id",
            lambda f: policies.policies_sql(f, "join event_policy ep on ep.policy_id = p.id"),
        ),
        Relation(
            "policy.events",
            events.EVENTS,
            "ep.policy_id",
            lambda f: events.events_sql(f, "join event_policy ep on ep.event_id = e.id"),
        ),
        Relation(
            "event.topics",
            TOPICS,
            "et.event_id",
            lambda f: TOPICS.sql("join event_topic et on et.topic_id = t.id"),
        ),
        Relation(
            "topic.events",
            events.EVENTS,
            "et.topic_id",
            lambda f: events.events_sql(f, "join event_topic et on et.event_id = e.id"),
        ),
        Relation(
            "event.sources",
            sources.SOURCES,
            "es.event_id",
            lambda f: sources.sources_sql(f, "join event_source es on es.source_id = s.id"),
        ),
        Relation(
            "source.events",
            events.EVENTS,
            "es.source_id",
            lambda f: events.events_sql(f, "join event_source es on es.event_id = e.id"),
        ),
        Relation(
            "policy.topics",
            TOPICS,
            "pt.policy_id",
            lambda f: TOPICS.sql("join policy_topic pt on pt.topic_id = t.id"),
        ),
        Relation(
            "topic.policies",
            policies.POLICIES,
            "pt.topic_id",
            lambda f: policies.policies_sql(f, "join policy_topic pt on pt.policy_id = p.id"),
        ),
        Relation(
            "policy.sources",
            sources.SOURCES,
            "ps.policy_id",
            lambda f: sources.sources_sql(f, "join policy_source ps on ps.source_id = s.id"),
        ),
        Relation(
            "source.policies",
            policies.POLICIES,
            "ps.source_id",
            lambda f: policies.policies_sql(f, "join policy_source ps on ps.policy_id = p.id"),
        ),
        Relation(
            "actor.sources",
            sources.SOURCES,
            "xs.actor_id",
            lambda f: sources.sources_sql(f, "join actor_source xs on xs.source_id = s.id"),
        ),
        Relation(
            "metric.sources",
            sources.SOURCES,
            "ms.metric_id",
            lambda f: sources.sources_sql(f, "join metric_source ms on ms.source_id = s.id"),
        ),
        Relation("actor.policies", policies.POLICIES, "p.issuer_id", policies.policies_sql),
        Relation("actor.children", actors.ACTORS, "a.parent_id", actors.actors_sql),
        Relation("event.implementedBy", events.EVENTS, "e.implements_event_id", events.events_sql),
        Relation("metric.observations", OBSERVATIONS, "o.metric_id", observations_sql),
        Relation("actor.observations", OBSERVATIONS, "o.entity_id", observations_sql),
    ]
}


async def pages_for_parents(
    conn: asyncpg.Pool | asyncpg.Connection,
    relation: Relation,
    parent_ids: Sequence[int],
    ordering_name: str | None,
    window: Window,
    filter_: Any,
    columns: Collection[str] | None = None,
) -> dict[int, Page[Row]]:
    """A page of the relation for every parent; only `columns` of the related table when given."""
    ordering = relation.table.ordering(ordering_name, relation.tiebreak)
    sql = relation.table.narrow(relation.build(filter_), columns)
    return await fetch_pages_by_parent(conn, sql, relation.parent, parent_ids, ordering, window)


async def counts_for_parents(
    conn: asyncpg.Pool | asyncpg.Connection,
    relation: Relation,
    parent_ids: Sequence[int],
    filter_: Any,
) -> dict[int, int]:
    return await count_by_parent(conn, relation.build(filter_), relation.parent, parent_ids)


@dataclass(frozen=True)
class ListRequest:
    """One relation list of a parent level: its window, filter, the columns read, and whether
    its rows, its count or both are wanted."""

    relation: Relation
    ordering: Ordering
    window: Window
    filter_: Any
    columns: Collection[str] | None
    rows: bool
    count: bool


def _sibling(request: ListRequest) -> SiblingList:
    if request.filter_ is None and request.window.after is None and request.window.before is None:
        # No filter and no cursor: the same every time, made once with its SQL text.
        columns = request.columns
        if columns is not None and not isinstance(columns, frozenset):
            request = replace(request, columns=frozenset(columns))  # hashable, as a cache key
        return _unparameterised_sibling(request)
    return _new_sibling(request)


def _new_sibling(request: ListRequest) -> SiblingList:
    relation, columns = request.relation, request.columns
    sql = relation.table.narrow(relation.build(request.filter_), columns)
    names = relation.table.names_of(sql, columns)
    return SiblingList(
        sql, names, relation.parent, request.ordering, request.window, request.rows, request.count
    )


# Bounded: relations x column sets x orderings x page sizes a client asks for.
@lru_cache(maxsize=2048)
def _unparameterised_sibling(request: ListRequest) -> SiblingList:
    return _new_sibling(request)


# Up to this many parents, sibling lists share one statement (correlated subqueries per parent);
# beyond it, each list is one windowed statement over all parents, the lists run side by side.
# Measured (curated release, four relations of events, asyncpg, machine shared): 1 parent 0.3
# vs 0.7 ms of Python CPU and 0.6-1.6 vs 2.0-2.6 ms wall; 5 parents 0.4 vs 0.7 ms; 15 parents
# even (0.8 ms); 50 parents 2.2-2.7 vs 1.3-1.8 ms CPU and 7-12 vs 4-7 ms wall (decoding record
# arrays costs more than round trips, and Postgres runs one correlated subplan per parent).
FOLD_MAX_PARENTS = 10


async def lists_for_parents(
    conn: asyncpg.Pool, parent_ids: Sequence[int], requests: Sequence[ListRequest]
) -> ListResults:
    """Pages and counts of several relations of the same parents: in one statement for a few
    parents, else one statement per page or count, run concurrently on the pool."""
    if len(parent_ids) <= FOLD_MAX_PARENTS:
        return await fetch_sibling_lists(conn, parent_ids, [_sibling(r) for r in requests])

    work: list[Coroutine[Any, Any, Any]] = []
    for r in requests:
        relation = r.relation
        if r.rows:
            sql = relation.table.narrow(relation.build(r.filter_), r.columns)
            work.append(fetch_pages_by_parent(conn, sql, relation.parent, parent_ids, r.ordering, r.window))
        if r.count:
            work.append(counts_for_parents(conn, relation, parent_ids, r.filter_))
    found = iter(await asyncio.gather(*work))
    return [(next(found) if r.rows else {}, next(found) if r.count else {}) for r in requests]


async def row_with_lists(
    conn: asyncpg.Pool | asyncpg.Connection,
    table: Table,
    column: str,
    value: Any,
    cast: str,
    columns: Collection[str],
    requests: Sequence[ListRequest],
) -> tuple[Row | None, ListResults]:
    """The row of `table` whose `column` is `value` (only `columns`, and `id`), with pages and
    counts of its relations, in one statement (a lookup by slug and its lists)."""
    parents = Sql(select=table.select_of({"id", *columns}), from_=f"{table.name} {table.alias}")
    parents.filter(f"{table.alias}.{column} = {parents.param(value, cast)}")
    rows, results = await fetch_rows_with_lists(conn, parents, [_sibling(r) for r in requests])
    return (rows[0] if rows else None), results
