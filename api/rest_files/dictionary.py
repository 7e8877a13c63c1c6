"""The data dictionary: every field of every kind, its type, allowed values and description,
read from the GraphQL schema itself (the descriptions are written once, in schema/)."""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    get_named_type,
)

from db.entities import ENTITIES
from schema.entities import type_name

# The kinds of record, as GraphQL types, with the kind name the files and changes use.
KINDS: dict[str, str] = {e.kind: type_name(e) for e in ENTITIES}


def type_of(schema: GraphQLSchema, kind: str) -> GraphQLObjectType:
    found = schema.type_map[KINDS[kind]]
    assert isinstance(found, GraphQLObjectType)
    return found


def allowed_values(t: GraphQLOutputType) -> list[dict[str, str]] | None:
    named = get_named_type(t)
    if not isinstance(named, GraphQLEnumType):
        return None
    return [{"value": name, "description": v.description or ""} for name, v in named.values.items()]


def dictionary(schema: GraphQLSchema) -> dict[str, Any]:
    """{"kinds": [{kind, type, description, fields: [{name, type, required, description,
    allowedValues?}]}]}, in the order of KINDS and of the schema's fields."""
    kinds = []
    for kind in KINDS:
        t = type_of(schema, kind)
        fields = []
        for name, field in t.fields.items():
            entry: dict[str, Any] = {
                "name": name,
                "type": str(field.type),
                "required": isinstance(field.type, GraphQLNonNull),
                "description": field.description or "",
            }
            values = allowed_values(field.type)
            if values is not None:
                entry["allowedValues"] = values
            if field.args:
                entry["arguments"] = [
                    {"name": a, "type": str(arg.type), "description": arg.description or ""}
                    for a, arg in field.args.items()
                ]
            fields.append(entry)
        kinds.append({"kind": kind, "type": t.name, "description": t.description or "", "fields": fields})
    return {
        "about": "Every field of every kind of record, generated from the GraphQL schema's own "
        "definitions (schema/schema.graphql); the dataset package's CSV columns are the scalar "
        "fields in snake_case, references to other records by slug.",
        "kinds": kinds,
    }
