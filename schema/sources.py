"""The Source type: the documents every record cites."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from db import sources as db_sources
from schema.context import Info
from schema.enums import DatePrecision, SourceKind
from schema.events import Event, EventFilter, event_filter
from schema.globalid import to_global_id
from schema.lists import relation_connection
from schema.node import Node
from schema.orders import EventOrder, PolicyOrder, order_name
from schema.paging import After, Before, Connection, First, Last
from schema.policies import Policy, PolicyFilter, policy_filter


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

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Source:
        precision = row["published_precision"]
        return cls(
            pk=row["id"],
            id=strawberry.ID(to_global_id("Source", row["slug"])),
            slug=row["slug"],
            title=row["title"],
            publisher=row["publisher"],
            url=row["url"],
            published_on=row["published_on"],
            published_precision=DatePrecision(precision) if precision else None,
            accessed_on=row["accessed_on"],
            kind=SourceKind(row["kind"]),
            language=row["language"],
        )

    @strawberry.field(description="Events that cite this source.")
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
    ) -> Connection[Event]:
        return await relation_connection(
            info,
            "source.events",
            self.pk,
            order_name(order_by),
            (first, after, last, before),
            Event.from_row,
            await event_filter(info, filter),
        )

    @strawberry.field(description="Policies that cite this source.")
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
    ) -> Connection[Policy]:
        return await relation_connection(
            info,
            "source.policies",
            self.pk,
            order_name(order_by),
            (first, after, last, before),
            Policy.from_row,
            await policy_filter(info, filter),
        )
