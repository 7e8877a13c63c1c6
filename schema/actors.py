"""The Actor type: states, government bodies, companies, people."""

from __future__ import annotations

import strawberry

from db import actors as db_actors
from schema.context import Context
from schema.enums import ActorKind
from schema.errors import BadRequest
from schema.events import EventFilter, event_filter
from schema.lists import ToOne, relation_field, to_one_field
from schema.node import Node
from schema.orders import ActorOrder, EventOrder, PolicyOrder, SourceOrder
from schema.policies import PolicyFilter, policy_filter


@strawberry.input(description="Conditions on actors; every condition given must hold.")
class ActorFilter:
    kind: list[ActorKind] | None = strawberry.field(default=None, description="Actors of any of these kinds.")
    country: list[str] | None = strawberry.field(
        default=None, description="Actors of any of these countries (ISO 3166-1 alpha-2)."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Substring match on name, Chinese name, slug and aliases.",
    )

    def to_db(self) -> db_actors.ActorFilter:
        countries = tuple(c.upper() for c in self.country or ())
        for country in countries:
            if len(country) != 2 or not country.isalpha():
                raise BadRequest(f"country {country!r} is not an ISO 3166-1 alpha-2 code")
        if self.search is not None and not self.search.strip():
            raise BadRequest("search must not be empty")
        return db_actors.ActorFilter(
            kinds=tuple(str(k.value) for k in self.kind or ()),
            countries=countries,
            search=self.search.strip() if self.search else None,
        )


def actor_filter(f: ActorFilter | None) -> db_actors.ActorFilter | None:
    return f.to_db() if f is not None else None


async def _actor_filter(context: Context, f: ActorFilter | None) -> db_actors.ActorFilter | None:
    return actor_filter(f)


@strawberry.type(
    description="A state, government body, legislature, regulator, company, research "
    "organisation, multilateral body or person that takes part in events or issues policies."
)
class Actor(Node):
    pk: strawberry.Private[int]
    parent_pk: strawberry.Private[int | None]
    slug: str = strawberry.field(description="Stable, human-readable identifier.")
    name: str = strawberry.field(description="Name in English.")
    name_zh: str | None = strawberry.field(description="Name in Chinese, where one exists.")
    kind: ActorKind = strawberry.field(description="What kind of actor this is.")
    country: str | None = strawberry.field(
        description="ISO 3166-1 alpha-2 country code; null for multilateral bodies and regions."
    )
    description: str = strawberry.field(description="Who or what this is, from the sources.")
    aliases: list[str] = strawberry.field(description="Other names and abbreviations.")

    parent = to_one_field(
        ToOne("actor", "parent_id"),
        "parent_pk",
        ("schema.actors", "Actor"),
        "The body this one belongs to (a ministry's state…).",
        nullable=True,
    )

    children = relation_field(
        "actor.children",
        ("schema.actors", "Actor"),
        "Bodies that belong to this one.",
        order=ActorOrder,
        filter_type=ActorFilter,
        filter_description="Only actors matching this.",
        convert=_actor_filter,
    )
    events = relation_field(
        "actor.events",
        ("schema.events", "Event"),
        "Events this actor took part in, each edge with its role.",
        order=EventOrder,
        filter_type=EventFilter,
        filter_description="Only events matching this.",
        convert=event_filter,
        with_role=True,
    )
    policies = relation_field(
        "actor.policies",
        ("schema.policies", "Policy"),
        "Policies this actor issued.",
        order=PolicyOrder,
        filter_type=PolicyFilter,
        filter_description="Only policies matching this.",
        convert=policy_filter,
    )
    sources = relation_field(
        "actor.sources",
        ("schema.sources", "Source"),
        "The sources this actor's description rests on.",
        order=SourceOrder,
    )
