"""The Topic type: chips, export controls, AI safety…"""

from __future__ import annotations

import strawberry

from schema.events import EventFilter, event_filter
from schema.lists import relation_field
from schema.node import Node
from schema.orders import EventOrder, PolicyOrder
from schema.policies import PolicyFilter, policy_filter


@strawberry.type(description="A subject that events and policies are tagged with.")
class Topic(Node):
    pk: strawberry.Private[int]
    slug: str = strawberry.field(description="Stable, human-readable identifier.")
    name: str = strawberry.field(description="Name of the topic.")
    description: str = strawberry.field(description="What the topic covers.")

    events = relation_field(
        "topic.events",
        ("schema.events", "Event"),
        "Events tagged with this topic.",
        order=EventOrder,
        filter_type=EventFilter,
        filter_description="Only events matching this.",
        convert=event_filter,
    )
    policies = relation_field(
        "topic.policies",
        ("schema.policies", "Policy"),
        "Policies tagged with this topic.",
        order=PolicyOrder,
        filter_type=PolicyFilter,
        filter_description="Only policies matching this.",
        convert=policy_filter,
    )
