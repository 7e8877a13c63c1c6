"""The GraphQL side of the entity registry (db/entities.py): each kind's type name, and which
types `node(id:)` fetches by slug."""

from __future__ import annotations

from db.entities import ENTITIES, SLUGGED, Entity


def type_name(entity: Entity) -> str:
    """`event` -> `Event`: the GraphQL type, and the prefix of its records' global IDs."""
    return entity.kind.capitalize()


# Every type with global IDs, and those fetched by slug with the table (Loaders key) of each.
NODE_TYPES: tuple[str, ...] = tuple(type_name(e) for e in ENTITIES)
NODE_TABLES: dict[str, str] = {type_name(e): e.kind for e in SLUGGED}
