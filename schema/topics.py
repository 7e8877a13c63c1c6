"""The Topic type: chips, export controls, AI safety…"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from schema.context import Info
from schema.events import Event, EventFilter, event_filter
from schema.globalid import to_global_id
from schema.lists import relation_connection
from schema.node import Node
from schema.orders import EventOrder, PolicyOrder, order_name
from schema.paging import After, Before, Connection, First, Last
from schema.policies import Policy, PolicyFilter, policy_filter


@strawberry.type(description="A subject that events and policies are tagged with.")
class Topic(Node):
    pk: strawberry.Private[int]
    slug: str = strawberry.field(description="Stable, human-readable identifier.")
    name: str = strawberry.field(description="Name of the topic.")
    description: str = strawberry.field(description="What the topic covers.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Topic:
        return cls(
            pk=row["id"],
            id=strawberry.ID(to_global_id("Topic", row["slug"])),
            slug=row["slug"],
            name=row["name"],
            description=row["description"],
        )

    @strawberry.field(description="Events tagged with this topic.")
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
            "topic.events",
            self.pk,
            order_name(order_by),
            (first, after, last, before),
            Event.from_row,
            await event_filter(info, filter),
        )

    @strawberry.field(description="Policies tagged with this topic.")
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
            "topic.policies",
            self.pk,
            order_name(order_by),
            (first, after, last, before),
            Policy.from_row,
            await policy_filter(info, filter),
        )
