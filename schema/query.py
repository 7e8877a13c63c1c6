"""The root Query: Relay node lookups, slug lookups, root connections and the release."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

import strawberry

from db import actors as db_actors
from db import aggregates as db_aggregates
from db import events as db_events
from db import metrics as db_metrics
from db import policies as db_policies
from db import sources as db_sources
from db import topics as db_topics
from db.release import latest_release
from schema.actors import ActorFilter, _actor_filter
from schema.aggregates import EventCount, EventGroupBy, TimelineBucket, TimelineInterval
from schema.changes import ReleaseChanges, changes
from schema.context import Context, Info
from schema.entities import NODE_TABLES
from schema.errors import BadRequest
from schema.events import EventFilter, event_filter
from schema.globalid import from_global_id
from schema.lists import FIELD_SPEC, NodeLookup, RootList, by_slug_field, root_list_field
from schema.metrics import MetricFilter, Observation
from schema.node import Node
from schema.orders import ActorOrder, EventOrder, NameOrder, PolicyOrder, SourceOrder
from schema.policies import PolicyFilter, policy_filter
from schema.release import Release
from schema.search import SearchConnection, search
from schema.shown import shown
from schema.sources import SourceFilter, source_filter

MAX_NODES = 100


async def _node(info: Info, global_id: str) -> Node | None:
    type_name, key = from_global_id(global_id)
    if type_name == "Observation":
        metric, _, rest = key.partition("/")
        entity, _, day = rest.partition("/")
        try:
            date = dt.date.fromisoformat(day)
        except ValueError:
            raise BadRequest(f"{shown(global_id)!r} is not a valid global ID") from None
        row = await db_metrics.observation_by_key(info.context.pool, metric, entity, date)
        return Observation.from_row(row) if row else None
    found = await info.context.loaders.by_slug[NODE_TABLES[type_name]].load(key)
    node_type: Any = info.schema.get_type_by_name(type_name).origin  # type: ignore[union-attr]
    node: Node | None = node_type.from_row(found) if found else None
    return node


async def _metric_filter(context: Context, f: MetricFilter) -> db_metrics.MetricFilter:
    return await f.to_db(context)


async def _source_filter(context: Context, f: SourceFilter) -> db_sources.SourceFilter | None:
    return source_filter(f)


@strawberry.type(description="Détente: US–China relations in AI, a cited, versioned dataset.")
class Query:
    @strawberry.field(
        description="Any object by its global ID; null when none has that ID.",
        metadata={FIELD_SPEC: NodeLookup()},
    )
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

    event = by_slug_field("event", ("schema.events", "Event"), "An event by slug; null when there is none.")
    policy = by_slug_field(
        "policy", ("schema.policies", "Policy"), "A policy by slug; null when there is none."
    )
    actor = by_slug_field("actor", ("schema.actors", "Actor"), "An actor by slug; null when there is none.")
    metric = by_slug_field(
        "metric", ("schema.metrics", "Metric"), "A metric by slug; null when there is none."
    )
    topic = by_slug_field("topic", ("schema.topics", "Topic"), "A topic by slug; null when there is none.")
    source = by_slug_field(
        "source", ("schema.sources", "Source"), "A source by slug; null when there is none."
    )

    events = root_list_field(
        RootList(db_events.EVENTS, db_events.events_sql, event_filter, db_events.EventFilter),
        ("schema.events", "Event"),
        "All events, newest first by default.",
        order=EventOrder,
        filter_type=EventFilter,
        filter_description="Only events matching this.",
    )
    policies = root_list_field(
        RootList(db_policies.POLICIES, db_policies.policies_sql, policy_filter, db_policies.PolicyFilter),
        ("schema.policies", "Policy"),
        "All policies, newest first by default.",
        order=PolicyOrder,
        filter_type=PolicyFilter,
        filter_description="Only policies matching this.",
    )
    actors = root_list_field(
        RootList(db_actors.ACTORS, db_actors.actors_sql, _actor_filter, db_actors.ActorFilter),
        ("schema.actors", "Actor"),
        "All actors, by name.",
        order=ActorOrder,
        filter_type=ActorFilter,
        filter_description="Only actors matching this.",
    )
    metrics = root_list_field(
        RootList(db_metrics.METRICS, db_metrics.metrics_sql, _metric_filter),
        ("schema.metrics", "Metric"),
        "All metrics, by name.",
        order=NameOrder,
        filter_type=MetricFilter,
        filter_description="Only metrics matching this.",
    )
    sources = root_list_field(
        RootList(db_sources.SOURCES, db_sources.sources_sql, _source_filter, db_sources.SourceFilter),
        ("schema.sources", "Source"),
        "All sources, by title.",
        order=SourceOrder,
        filter_type=SourceFilter,
        filter_description="Only sources matching this.",
    )
    topics = root_list_field(
        RootList(db_topics.TOPICS, lambda f: db_topics.TOPICS.sql()),
        ("schema.topics", "Topic"),
        "All topics, by name.",
        order=NameOrder,
    )

    search: SearchConnection = strawberry.field(
        resolver=search,
        description="Search events, policies, actors and sources at once, most relevant first; "
        "each hit has its rank and a highlighted snippet.",
    )

    changes: ReleaseChanges | None = strawberry.field(
        resolver=changes,
        description="Which records the releases loaded after `since` added, changed or removed, "
        "per kind, so a local copy can be reconciled (removed records as tombstones); null when "
        "`since` names a release never loaded here.",
    )

    @strawberry.field(description="The data release that is loaded; null before any load.")
    async def release(self, info: Info) -> Release | None:
        row = await latest_release(info.context.pool)
        return Release.from_row(row) if row else None

    @strawberry.field(
        description="The cooperation–competition index over time: one bucket per period that has "
        "events matching the filter, oldest first. It counts each act once: events that "
        "implement another event (countedInIndex false) are left out of every number."
    )
    async def timeline(
        self,
        info: Info,
        interval: Annotated[TimelineInterval, strawberry.argument(description="Bucket width.")],
        filter: Annotated[
            EventFilter | None, strawberry.argument(description="Only events matching this.")
        ] = None,
    ) -> list[TimelineBucket]:
        f = await event_filter(info.context, filter)
        rows = await db_aggregates.timeline(info.context.pool, str(interval.value), f)
        return [TimelineBucket.from_row(r) for r in rows]

    @strawberry.field(
        description="How many events fall in each group, largest first; like `timeline`, only "
        "events counted in the index (countedInIndex true)."
    )
    async def event_counts(
        self,
        info: Info,
        group_by: Annotated[EventGroupBy, strawberry.argument(description="What to group by.")],
        filter: Annotated[
            EventFilter | None, strawberry.argument(description="Only events matching this.")
        ] = None,
    ) -> list[EventCount]:
        f = await event_filter(info.context, filter)
        rows = await db_aggregates.event_counts(info.context.pool, str(group_by.value), f)
        return [EventCount.from_row(r) for r in rows]
