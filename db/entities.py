"""The kinds of record the dataset holds, named once. Everything that goes over the kinds — the
loaders, the node lookup, the change log, the seed loader's counts, the data dictionary, the
REST collections — reads them from `ENTITIES` instead of keeping a list of its own.

A kind's name is its table's name (`event`) and the name the change log, the package and the
dictionary use for it; its GraphQL type is that name capitalised (schema/entities.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from db.actors import ACTORS
from db.events import EVENTS
from db.metrics import METRICS, OBSERVATIONS
from db.policies import POLICIES
from db.sources import SOURCES
from db.tables import Table
from db.topics import TOPICS


@dataclass(frozen=True)
class Entity:
    table: Table  # its table: columns, orderings
    plural: str  # its collection: the GraphQL root list and the REST path (`/v1/events`)
    slugged: bool = True  # has a slug: fetched by it, a REST item, tracked by the change log

    @property
    def kind(self) -> str:
        return self.table.name


# In the order the dictionary and the release's row counts list them.
ENTITIES: tuple[Entity, ...] = (
    Entity(EVENTS, "events"),
    Entity(POLICIES, "policies"),
    Entity(ACTORS, "actors"),
    Entity(METRICS, "metrics"),
    Entity(OBSERVATIONS, "observations", slugged=False),  # by metric, entity and date
    Entity(SOURCES, "sources"),
    Entity(TOPICS, "topics"),
)
SLUGGED: tuple[Entity, ...] = tuple(e for e in ENTITIES if e.slugged)
BY_KIND: dict[str, Entity] = {e.kind: e for e in ENTITIES}
