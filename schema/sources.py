"""The Source type: the documents every record cites."""

from __future__ import annotations

import datetime as dt

import strawberry

from db import sources as db_sources
from schema.enums import DatePrecision, SourceKind
from schema.events import EventFilter, event_filter
from schema.lists import relation_field
from schema.node import Node
from schema.orders import EventOrder, PolicyOrder
from schema.policies import PolicyFilter, policy_filter


@strawberry.input(description="Conditions on sources; every condition given must hold.")
class SourceFilter:
    kind: list[SourceKind] | None = strawberry.field(
        default=None, description="Sources of any of these kinds."
    )
    language: list[str] | None = strawberry.field(
        default=None, description="Sources in any of these languages (BCP 47, e.g. en, zh)."
    )
    publisher: str | None = strawberry.field(default=None, description="Sources from exactly this publisher.")
    search: str | None = strawberry.field(
        default=None, description="Full-text search over title and publisher (web-search syntax)."
    )

    def to_db(self) -> db_sources.SourceFilter:
        return db_sources.SourceFilter(
            kinds=tuple(str(k.value) for k in self.kind or ()),
            languages=tuple(self.language or ()),
            publisher=self.publisher,
            search=self.search,
        )


def source_filter(f: SourceFilter | None) -> db_sources.SourceFilter | None:
    return f.to_db() if f is not None else None


@strawberry.type(description="A document that records in the dataset cite.")
class Source(Node):
    pk: strawberry.Private[int]
    slug: str = strawberry.field(description="Stable, human-readable identifier.")
    title: str = strawberry.field(description="Title of the document.")
    publisher: str = strawberry.field(description="Who published it.")
    url: str = strawberry.field(description="Where it can be read.")
    published_on: dt.date | None = strawberry.field(description="When it was published.")
    published_precision: DatePrecision | None = strawberry.field(
        description="How exactly `publishedOn` is known."
    )
    accessed_on: dt.date = strawberry.field(description="When a curator read it.")
    kind: SourceKind = strawberry.field(description="What kind of document it is.")
    language: str = strawberry.field(description="Its language (BCP 47 tag).")

    events = relation_field(
        "source.events",
        ("schema.events", "Event"),
        "Events that cite this source.",
        order=EventOrder,
        filter_type=EventFilter,
        filter_description="Only events matching this.",
        convert=event_filter,
    )
    policies = relation_field(
        "source.policies",
        ("schema.policies", "Policy"),
        "Policies that cite this source.",
        order=PolicyOrder,
        filter_type=PolicyFilter,
        filter_description="Only policies matching this.",
        convert=policy_filter,
    )
