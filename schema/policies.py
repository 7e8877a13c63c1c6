"""The Policy type: strategies, laws, rules, export controls, agreements."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import strawberry

from db import policies as db_policies
from schema.context import Context
from schema.enums import Confidence, Instrument, PolicyStatus, Stance
from schema.errors import BadRequest
from schema.events import EventFilter, check_known, event_filter
from schema.lists import ToOne, relation_field, to_one_field
from schema.node import Node
from schema.orders import EventOrder, SourceOrder
from schema.ranges import DateRange, date_range

if TYPE_CHECKING:
    pass


@strawberry.input(description="Conditions on policies; every condition given must hold.")
class PolicyFilter:
    announced: DateRange | None = strawberry.field(
        default=None, description="Policies announced in this range."
    )
    instrument: list[Instrument] | None = strawberry.field(
        default=None, description="Policies of any of these instruments."
    )
    status: list[PolicyStatus] | None = strawberry.field(
        default=None, description="Policies in any of these statuses."
    )
    stance: list[Stance] | None = strawberry.field(
        default=None, description="Policies with any of these stances."
    )
    jurisdiction: list[str] | None = strawberry.field(
        default=None, description="Policies of these jurisdictions (ISO alpha-2 or INTL)."
    )
    issuer: list[str] | None = strawberry.field(
        default=None, description="Policies issued by any of these actors (by slug)."
    )
    issuer_country: list[str] | None = strawberry.field(
        default=None, description="Policies issued by actors of any of these countries."
    )
    topic: list[str] | None = strawberry.field(
        default=None, description="Policies tagged with any of these topics (by slug)."
    )
    search: str | None = strawberry.field(
        default=None,
        description='Full-text search over title and summary ("quoted phrases", -exclusions).',
    )

    def to_db(self) -> db_policies.PolicyFilter:
        announced_from, announced_to = date_range(self.announced, "announced")
        if self.search is not None and not self.search.strip():
            raise BadRequest("search must not be empty")
        return db_policies.PolicyFilter(
            announced_from=announced_from,
            announced_to=announced_to,
            instruments=tuple(str(i.value) for i in self.instrument or ()),
            statuses=tuple(str(s.value) for s in self.status or ()),
            stances=tuple(str(s.value) for s in self.stance or ()),
            jurisdictions=tuple(j.upper() for j in self.jurisdiction or ()),
            issuer_slugs=tuple(self.issuer or ()),
            issuer_countries=tuple(c.upper() for c in self.issuer_country or ()),
            topic_slugs=tuple(self.topic or ()),
            search=self.search,
        )


async def policy_filter(context: Context, f: PolicyFilter | None) -> db_policies.PolicyFilter | None:
    if f is None:
        return None
    converted = f.to_db()
    if f.issuer:
        await check_known(context, "actor", set(f.issuer), "issuer")
    if f.topic:
        await check_known(context, "topic", set(f.topic), "topic")
    return converted


@strawberry.type(
    description="A policy instrument: a national strategy, law, executive order, regulation, "
    "export control, entity listing, investment rule, fund, agreement or standard."
)
class Policy(Node):
    pk: strawberry.Private[int]
    issuer_pk: strawberry.Private[int]
    slug: str = strawberry.field(description="Stable, human-readable identifier.")
    title: str = strawberry.field(description="Title in English.")
    title_zh: str | None = strawberry.field(description="Title in Chinese, for Chinese policies.")
    jurisdiction: str = strawberry.field(
        description="Where it applies: ISO 3166-1 alpha-2, or INTL for international instruments."
    )
    instrument: Instrument = strawberry.field(description="Its legal form.")
    status: PolicyStatus = strawberry.field(description="Where it is in its life.")
    announced_on: dt.date | None = strawberry.field(description="The day it was announced.")
    effective_on: dt.date | None = strawberry.field(description="The day it took effect.")
    ended_on: dt.date | None = strawberry.field(
        description="The day it was repealed, expired or was suspended."
    )
    summary: str = strawberry.field(description="What it does, from the sources.")
    official_url: str | None = strawberry.field(description="Where its official text is.")
    stance: Stance = strawberry.field(description="Its stance toward the other side.")
    confidence: Confidence = strawberry.field(description="How sure the dataset is of this record.")
    confidence_note: str | None = strawberry.field(
        description="Where sources disagree, or what else a reader should know."
    )
    status_as_of: dt.date | None = strawberry.field(
        description="The day of the latest source that confirms the status: a status is a claim at a date."
    )
    status_until: dt.date | None = strawberry.field(
        description="The stated end of a suspension, temporary status or expiry, when it is known to lapse."
    )
    status_note: str | None = strawberry.field(
        description="What is known, or not known, about the status (e.g. what followed a lapsed suspension)."
    )
    status_unconfirmed: bool = strawberry.field(
        description="True when statusUntil has passed (as of today) and no source from then on "
        "confirms what followed: the status is the last one confirmed, not necessarily today's."
    )

    issuer = to_one_field(
        ToOne("actor", "issuer_id"), "issuer_pk", ("schema.actors", "Actor"), "The actor that issued it."
    )

    events = relation_field(
        "policy.events",
        ("schema.events", "Event"),
        "Events that enact, apply or answer this policy.",
        order=EventOrder,
        filter_type=EventFilter,
        filter_description="Only events matching this.",
        convert=event_filter,
    )
    topics = relation_field(
        "policy.topics",
        ("schema.topics", "Topic"),
        "Topics the policy is tagged with.",
    )
    sources = relation_field(
        "policy.sources",
        ("schema.sources", "Source"),
        "The sources this record rests on.",
        order=SourceOrder,
    )
