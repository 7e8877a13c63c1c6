"""The Event type, its ordering and filter inputs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import strawberry

from db import events as db_events
from schema.context import Context
from schema.enums import Confidence, DatePrecision, EventCategory, Role, Stance
from schema.errors import BadRequest
from schema.lists import ToOne, relation_field, to_one_field
from schema.node import Node
from schema.orders import ActorOrder, EventOrder, PolicyOrder, SourceOrder
from schema.ranges import DateRange, IntRange, date_range, int_range

if TYPE_CHECKING:
    pass


@strawberry.input(
    description="Conditions on events. Every condition given must hold; a list matches any of its values."
)
class EventFilter:
    date: DateRange | None = strawberry.field(
        default=None, description="Events that overlap this range (start to end date)."
    )
    category: list[EventCategory] | None = strawberry.field(
        default=None, description="Events of any of these categories."
    )
    stance: list[Stance] | None = strawberry.field(
        default=None, description="Events with any of these stances."
    )
    date_precision: list[DatePrecision] | None = strawberry.field(
        default=None, description="Events whose date is known to any of these precisions."
    )
    cooperation_score: IntRange | None = strawberry.field(
        default=None, description="Events scored in this range (−10 … +10)."
    )
    significance: IntRange | None = strawberry.field(
        default=None, description="Events of significance in this range (1 … 5)."
    )
    actor: list[str] | None = strawberry.field(
        default=None, description="Events involving any of these actors (by slug)."
    )
    actor_role: list[Role] | None = strawberry.field(
        default=None, description="With `actor` or `actorCountry`: only in these roles."
    )
    actor_country: list[str] | None = strawberry.field(
        default=None,
        description="Events involving an actor of any of these countries (ISO 3166-1 alpha-2).",
    )
    involves_us_and_china: bool | None = strawberry.field(
        default=None,
        description="true: events with both a US and a Chinese actor; false: all others.",
    )
    topic: list[str] | None = strawberry.field(
        default=None, description="Events tagged with any of these topics (by slug)."
    )
    policy: list[str] | None = strawberry.field(
        default=None, description="Events related to any of these policies (by slug)."
    )
    search: str | None = strawberry.field(
        default=None,
        description='Full-text search over title and summary ("quoted phrases", -exclusions).',
    )
    counted_in_index: bool | None = strawberry.field(
        default=None,
        description="true: events the cooperation index counts; false: events that implement "
        "another event (left out of the index, so `timeline` and `eventCounts` find none).",
    )
    and_: list[EventFilter] | None = strawberry.field(
        default=None, name="and", description="Events matching every one of these filters."
    )
    or_: list[EventFilter] | None = strawberry.field(
        default=None, name="or", description="Events matching at least one of these filters."
    )
    not_: EventFilter | None = strawberry.field(
        default=None, name="not", description="Events not matching this filter."
    )

    def referenced(self) -> dict[str, set[str]]:
        """Slugs this filter names, by table, so unknown ones can be refused."""
        refs = {
            "actor": set(self.actor or ()),
            "topic": set(self.topic or ()),
            "policy": set(self.policy or ()),
        }
        for sub in [*(self.and_ or ()), *(self.or_ or ()), *([self.not_] if self.not_ else [])]:
            for table, slugs in sub.referenced().items():
                refs[table] |= slugs
        return refs

    def to_db(self) -> db_events.EventFilter:
        score = int_range(self.cooperation_score, "cooperationScore", -10, 10)
        significance = int_range(self.significance, "significance", 1, 5)
        date_from, date_to = date_range(self.date, "date")
        countries = tuple(c.upper() for c in self.actor_country or ())
        for country in countries:
            if len(country) != 2 or not country.isalpha():
                raise BadRequest(f"actorCountry {country!r} is not an ISO 3166-1 alpha-2 code")
        if self.search is not None and not self.search.strip():
            raise BadRequest("search must not be empty")
        return db_events.EventFilter(
            date_from=date_from,
            date_to=date_to,
            categories=tuple(str(c.value) for c in self.category or ()),
            stances=tuple(str(s.value) for s in self.stance or ()),
            precisions=tuple(str(p.value) for p in self.date_precision or ()),
            score_min=score[0],
            score_max=score[1],
            significance_min=significance[0],
            significance_max=significance[1],
            actor_slugs=tuple(self.actor or ()),
            actor_roles=tuple(str(r.value) for r in self.actor_role or ()),
            actor_countries=countries,
            between_us_and_china=self.involves_us_and_china,
            topic_slugs=tuple(self.topic or ()),
            policy_slugs=tuple(self.policy or ()),
            search=self.search,
            counted_in_index=self.counted_in_index,
            all_of=tuple(sub.to_db() for sub in self.and_ or ()),
            any_of=tuple(sub.to_db() for sub in self.or_ or ()),
            none_of=(self.not_.to_db(),) if self.not_ else (),
        )


async def check_known(context: Context, table: str, slugs: set[str], field: str) -> None:
    """Refuse a filter that names a record that does not exist (an empty result would mislead)."""
    ordered = sorted(slugs)
    rows = await context.loaders.by_slug[table].load_many(ordered)
    unknown = [slug for slug, row in zip(ordered, rows, strict=True) if row is None]
    if unknown:
        raise BadRequest(f"unknown {field} slug(s) in filter: {', '.join(unknown)}")


async def event_filter(context: Context, f: EventFilter | None) -> db_events.EventFilter | None:
    if f is None:
        return None
    converted = f.to_db()
    for table, slugs in f.referenced().items():
        if slugs:
            await check_known(context, table, slugs, table)
    return converted


@strawberry.type(
    description="Something that happened between or around the US and China in AI: a summit, "
    "an export control, a model release… scored on the cooperation–competition axis."
)
class Event(Node):
    pk: strawberry.Private[int]
    implements_pk: strawberry.Private[int | None]
    slug: str = strawberry.field(description="Stable, human-readable identifier; part of citations.")
    title: str = strawberry.field(description="Short title.")
    summary: str = strawberry.field(description="What happened, in a few sentences, from the sources.")
    date: dt.date = strawberry.field(
        description="When it happened (or began). Read with `datePrecision`: a MONTH date is "
        "the month's first day, a YEAR date 1 January."
    )
    date_precision: DatePrecision = strawberry.field(description="How exactly `date` is known.")
    end_date: dt.date | None = strawberry.field(description="When it ended, for events that span days.")
    end_date_precision: DatePrecision | None = strawberry.field(description="How exactly `endDate` is known.")
    category: EventCategory = strawberry.field(description="What kind of event this is.")
    stance: Stance = strawberry.field(description="Where it sits on the cooperation–competition axis.")
    cooperation_score: int = strawberry.field(
        description="From −10 (hard competition) to +10 (deep cooperation), scored by a curator "
        "following the rubric in seeds/README.md."
    )
    score_rationale: str = strawberry.field(description="One line on why the event got its score.")
    significance: int = strawberry.field(
        description="1 (footnote) to 5 (defines the relationship for years)."
    )
    confidence: Confidence = strawberry.field(description="How sure the dataset is of this record.")
    confidence_note: str | None = strawberry.field(
        description="Where sources disagree, or what else a reader should know."
    )
    counted_in_index: bool = strawberry.field(
        description="Whether the cooperation index counts this event: false when it implements "
        "another event (`implements`), whose act it carries out and which the index counts "
        "instead. `timeline` and `eventCounts` count only events with true here, so one act "
        "is counted once; the event keeps its own cooperationScore."
    )

    implements = to_one_field(
        ToOne("event", "implements_event_id"),
        "implements_pk",
        ("schema.events", "Event"),
        "The earlier event whose act this one carries out (a rule implementing an agreement, a "
        "control entering into force), as this record's sources say; null for most events. "
        "One level: the event named here implements nothing itself. When set, this event is "
        "not counted in the cooperation index (`countedInIndex` is false).",
        nullable=True,
    )
    implemented_by = relation_field(
        "event.implementedBy",
        ("schema.events", "Event"),
        "Events that carry out this one's act (each names this event as `implements`); the "
        "cooperation index counts the act once, here, not through them.",
        order=EventOrder,
        filter_type=EventFilter,
        filter_description="Only events matching this.",
        convert=event_filter,
    )

    actors = relation_field(
        "event.actors",
        ("schema.actors", "Actor"),
        "The actors involved, each edge with the actor's role.",
        order=ActorOrder,
        with_role=True,
    )
    policies = relation_field(
        "event.policies",
        ("schema.policies", "Policy"),
        "Policies this event enacts, applies or answers.",
        order=PolicyOrder,
    )
    topics = relation_field(
        "event.topics",
        ("schema.topics", "Topic"),
        "Topics the event is tagged with.",
    )
    sources = relation_field(
        "event.sources",
        ("schema.sources", "Source"),
        "The sources this record rests on.",
        order=SourceOrder,
    )
