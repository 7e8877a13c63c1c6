"""The root Query: Relay node lookups, slug lookups, root connections and the release."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Annotated, Any, TypeVar

import strawberry

from db import actors as db_actors
from db import aggregates as db_aggregates
from db import events as db_events
from db import metrics as db_metrics
from db import policies as db_policies
from db import sources as db_sources
from db import topics as db_topics
from db.release import latest_release
from schema.actors import Actor, ActorFilter, actor_filter
from schema.aggregates import EventCount, EventGroupBy, TimelineBucket, TimelineInterval
from schema.context import Info
from schema.errors import BadRequest
from schema.events import Event, EventFilter, event_filter
from schema.globalid import from_global_id
from schema.lists import root_connection
from schema.metrics import Metric, MetricFilter, Observation
from schema.node import Node
from schema.orders import ActorOrder, EventOrder, NameOrder, PolicyOrder, SourceOrder, order_name
from schema.paging import After, Before, Connection, First, Last
from schema.policies import Policy, PolicyFilter, policy_filter
from schema.release import Release
from schema.search import SearchConnection, search
from schema.sources import Source, SourceFilter, source_filter
from schema.topics import Topic

MAX_NODES = 100
Search = Annotated[
    str | None,
    strawberry.argument(
        description='Full-text search (stemmed words, "quoted phrases", -exclusions), combined with `filter`.'
    ),
]
Slug = Annotated[str, strawberry.argument(description="The record's slug.")]

_TYPES: dict[str, tuple[str, Any]] = {
    "Event": ("event", Event),
    "Policy": ("policy", Policy),
    "Actor": ("actor", Actor),
    "Metric": ("metric", Metric),
    "Source": ("source", Source),
    "Topic": ("topic", Topic),
}


async def _node(info: Info, global_id: str) -> Node | None:
    type_name, key = from_global_id(global_id)
    if type_name == "Observation":
        metric, _, rest = key.partition("/")
        entity, _, day = rest.partition("/")
        try:
            date = dt.date.fromisoformat(day)
        except ValueError:
            raise BadRequest(f"{global_id!r} is not a valid global ID") from None
        row = await db_metrics.observation_by_key(info.context.pool, metric, entity, date)
        return Observation.from_row(row) if row else None
    table, node_type = _TYPES[type_name]
    found = await info.context.loaders.by_slug[table].load(key)
    node: Node | None = node_type.from_row(found) if found else None
    return node


FilterT = TypeVar("FilterT")


def with_search(f: FilterT | None, text: str | None, filter_type: type[FilterT]) -> FilterT | None:
    """The `search` argument folded into the filter (both must hold)."""
    if text is None:
        return f
    if not text.strip():
        raise BadRequest("search must not be empty")
    if f is not None and getattr(f, "search", None):
        raise BadRequest("give `search` either as an argument or inside `filter`, not both")
    return dataclasses.replace(f, search=text) if f is not None else filter_type(search=text)  # type: ignore[call-arg,type-var]


async def _by_slug(info: Info, table: str, slug: str) -> dict[str, Any] | None:
    return await info.context.loaders.by_slug[table].load(slug)


@strawberry.type(description="Détente: US–China relations in AI, a cited, versioned dataset.")
class Query:
    @strawberry.field(description="Any object by its global ID; null when none has that ID.")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global ID.")],
    ) -> Node | None:
        return await _node(info, id)

    @strawberry.field(
        description=f"Objects by global ID, in the order asked, null where none has that ID "
        f"(at most {MAX_NODES})."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global IDs.")],
    ) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise BadRequest(f"at most {MAX_NODES} ids at once, got {len(ids)}")
        return list(await asyncio.gather(*(_node(info, i) for i in ids)))

    @strawberry.field(description="An event by slug; null when there is none.")
    async def event(self, info: Info, slug: Slug) -> Event | None:
        row = await _by_slug(info, "event", slug)
        return Event.from_row(row) if row else None

    @strawberry.field(description="A policy by slug; null when there is none.")
    async def policy(self, info: Info, slug: Slug) -> Policy | None:
        row = await _by_slug(info, "policy", slug)
        return Policy.from_row(row) if row else None

    @strawberry.field(description="An actor by slug; null when there is none.")
    async def actor(self, info: Info, slug: Slug) -> Actor | None:
        row = await _by_slug(info, "actor", slug)
        return Actor.from_row(row) if row else None

    @strawberry.field(description="A metric by slug; null when there is none.")
    async def metric(self, info: Info, slug: Slug) -> Metric | None:
        row = await _by_slug(info, "metric", slug)
        return Metric.from_row(row) if row else None

    @strawberry.field(description="A topic by slug; null when there is none.")
    async def topic(self, info: Info, slug: Slug) -> Topic | None:
        row = await _by_slug(info, "topic", slug)
        return Topic.from_row(row) if row else None

    @strawberry.field(description="A source by slug; null when there is none.")
    async def source(self, info: Info, slug: Slug) -> Source | None:
        row = await _by_slug(info, "source", slug)
        return Source.from_row(row) if row else None

    @strawberry.field(description="All events, newest first by default.")
    async def events(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        order_by: Annotated[
            EventOrder | None, strawberry.argument(description="The order of the list.")
        ] = None,
        filter: Annotated[
            EventFilter | None, strawberry.argument(description="Only events matching this.")
        ] = None,
        search: Search = None,
    ) -> Connection[Event]:
        f = with_search(await event_filter(info, filter), search, db_events.EventFilter)
        return await root_connection(
            info,
            db_events.EVENTS,
            lambda: db_events.events_sql(f),
            order_name(order_by),
            first,
            after,
            last,
            before,
            Event.from_row,
        )

    @strawberry.field(description="All policies, newest first by default.")
    async def policies(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        order_by: Annotated[
            PolicyOrder | None, strawberry.argument(description="The order of the list.")
        ] = None,
        filter: Annotated[
            PolicyFilter | None, strawberry.argument(description="Only policies matching this.")
        ] = None,
        search: Search = None,
    ) -> Connection[Policy]:
        f = with_search(await policy_filter(info, filter), search, db_policies.PolicyFilter)
        return await root_connection(
            info,
            db_policies.POLICIES,
            lambda: db_policies.policies_sql(f),
            order_name(order_by),
            first,
            after,
            last,
            before,
            Policy.from_row,
        )

    @strawberry.field(description="All actors, by name.")
    async def actors(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        order_by: Annotated[
            ActorOrder | None, strawberry.argument(description="The order of the list.")
        ] = None,
        filter: Annotated[
            ActorFilter | None, strawberry.argument(description="Only actors matching this.")
        ] = None,
        search: Search = None,
    ) -> Connection[Actor]:
        f = with_search(actor_filter(filter), search, db_actors.ActorFilter)
        return await root_connection(
            info,
            db_actors.ACTORS,
            lambda: db_actors.actors_sql(f),
            order_name(order_by),
            first,
            after,
            last,
            before,
            Actor.from_row,
        )

    @strawberry.field(description="All metrics, by name.")
    async def metrics(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        order_by: Annotated[
            NameOrder | None, strawberry.argument(description="The order of the list.")
        ] = None,
        filter: Annotated[
            MetricFilter | None, strawberry.argument(description="Only metrics matching this.")
        ] = None,
    ) -> Connection[Metric]:
        f = await filter.to_db(info) if filter else None
        return await root_connection(
            info,
            db_metrics.METRICS,
            lambda: db_metrics.metrics_sql(f),
            order_name(order_by),
            first,
            after,
            last,
            before,
            Metric.from_row,
        )

    @strawberry.field(description="All sources, by title.")
    async def sources(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        order_by: Annotated[
            SourceOrder | None, strawberry.argument(description="The order of the list.")
        ] = None,
        filter: Annotated[
            SourceFilter | None, strawberry.argument(description="Only sources matching this.")
        ] = None,
        search: Search = None,
    ) -> Connection[Source]:
        f = with_search(source_filter(filter), search, db_sources.SourceFilter)
        return await root_connection(
            info,
            db_sources.SOURCES,
            lambda: db_sources.sources_sql(f),
            order_name(order_by),
            first,
            after,
            last,
            before,
            Source.from_row,
        )

    @strawberry.field(description="All topics, by name.")
    async def topics(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        order_by: Annotated[
            NameOrder | None, strawberry.argument(description="The order of the list.")
        ] = None,
    ) -> Connection[Topic]:
        return await root_connection(
            info,
            db_topics.TOPICS,
            db_topics.TOPICS.sql,
            order_name(order_by),
            first,
            after,
            last,
            before,
            Topic.from_row,
        )

    search: SearchConnection = strawberry.field(
        resolver=search,
        description="Search events, policies, actors and sources at once, most relevant first; "
        "each hit has its rank and a highlighted snippet.",
    )

    @strawberry.field(description="The data release that is loaded; null before any load.")
    async def release(self, info: Info) -> Release | None:
        row = await latest_release(info.context.pool)
        return Release.from_row(row) if row else None

    @strawberry.field(
        description="The cooperation–competition index over time: one bucket per period that has "
        "events matching the filter, oldest first."
    )
    async def timeline(
        self,
        info: Info,
        interval: Annotated[TimelineInterval, strawberry.argument(description="Bucket width.")],
        filter: Annotated[
            EventFilter | None, strawberry.argument(description="Only events matching this.")
        ] = None,
    ) -> list[TimelineBucket]:
        f = await event_filter(info, filter)
        rows = await db_aggregates.timeline(info.context.pool, str(interval.value), f)
        return [TimelineBucket.from_row(r) for r in rows]

    @strawberry.field(description="How many events fall in each group, largest first.")
    async def event_counts(
        self,
        info: Info,
        group_by: Annotated[EventGroupBy, strawberry.argument(description="What to group by.")],
        filter: Annotated[
            EventFilter | None, strawberry.argument(description="Only events matching this.")
        ] = None,
    ) -> list[EventCount]:
        f = await event_filter(info, filter)
        rows = await db_aggregates.event_counts(info.context.pool, str(group_by.value), f)
        return [EventCount.from_row(r) for r in rows]
