"""Query parameters of a GraphQL input type, derived from the type itself: each field is its
snake_case name; a list is comma-separated; a range input (`DateRange`, `IntRange`) is two
parameters, `date_from`/`date_to`, `significance_min`/`significance_max`. Values go to GraphQL
as variables unchanged, so they are checked, and refused, exactly as GraphQL's are."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    GraphQLType,
    get_named_type,
)

_COMBINATORS = frozenset({"and", "or", "not"})


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Param:
    """One query parameter: where its value goes in the filter, and how it is read."""

    name: str
    path: tuple[str, ...]  # field (and range bound) in the input object
    kind: str  # "list", "boolean" or "scalar"
    type_name: str  # the GraphQL type of the value (of each item, for lists)
    description: str
    enum_values: tuple[str, ...] = ()


def _unwrap(t: GraphQLType) -> GraphQLType:
    return t.of_type if isinstance(t, GraphQLNonNull) else t


def filter_params(schema: GraphQLSchema, input_type: str) -> list[Param]:
    """The parameters of every field of `input_type` but the and/or/not combinators."""
    found = schema.type_map[input_type]
    assert isinstance(found, GraphQLInputObjectType)
    params: list[Param] = []
    for name, field in found.fields.items():
        if name in _COMBINATORS:
            continue
        t = _unwrap(field.type)
        named = get_named_type(t)
        values = tuple(getattr(named, "values", {}) or ())
        description = field.description or ""
        if isinstance(t, GraphQLList):
            params.append(Param(snake(name), (name,), "list", named.name, description, values))
        elif isinstance(named, GraphQLInputObjectType):  # a range: one parameter per bound
            for bound, sub in named.fields.items():
                params.append(
                    Param(
                        f"{snake(name)}_{bound}",
                        (name, bound),
                        "scalar",
                        get_named_type(sub.type).name,
                        f"{description} ({sub.description or bound})",
                    )
                )
        elif named.name == "Boolean":
            params.append(Param(snake(name), (name,), "boolean", "Boolean", description))
        else:
            params.append(Param(snake(name), (name,), "scalar", named.name, description, values))
    return params


class UnknownParameters(Exception):
    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


def read_filter(
    params: list[Param], query: list[tuple[str, str]], others: frozenset[str]
) -> dict[str, Any] | None:
    """The filter input for these query parameters (None when none is given); names neither a
    filter parameter nor one of `others` raise UnknownParameters."""
    by_name = {p.name: p for p in params}
    unknown = sorted({k for k, _ in query if k not in by_name and k not in others})
    if unknown:
        raise UnknownParameters(unknown)
    result: dict[str, Any] = {}
    for key, raw in query:
        param = by_name.get(key)
        if param is None:
            continue
        value: Any = raw
        if param.kind == "list":
            value = [v.strip() for v in raw.split(",") if v.strip()]
        elif param.kind == "boolean":
            value = {"true": True, "false": False}.get(raw.lower(), raw)
        target = result
        for step in param.path[:-1]:
            target = target.setdefault(step, {})
        target[param.path[-1]] = value
    return result or None


def openapi_parameters(params: list[Param]) -> list[dict[str, Any]]:
    """The same parameters as OpenAPI 3.1 parameter objects."""
    out = []
    for p in params:
        item: dict[str, Any] = {"type": "string"}
        if p.enum_values:
            item["enum"] = list(p.enum_values)
        if p.kind == "list":
            schema: dict[str, Any] = {"type": "array", "items": item}
            extra = {"style": "form", "explode": False}
        elif p.kind == "boolean":
            schema, extra = {"type": "boolean"}, {}
        elif p.type_name == "Int":
            schema, extra = {"type": "integer"}, {}
        elif p.type_name == "Date":
            schema, extra = {"type": "string", "format": "date"}, {}
        else:
            schema, extra = item, {}
        out.append(
            {
                "name": p.name,
                "in": "query",
                "required": False,
                "description": p.description,
                "schema": schema,
                **extra,
            }
        )
    return out
