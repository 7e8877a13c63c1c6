"""Objects of the node types built from their rows, derived from the types' own fields: one
definition per field (its name is its column, its type says how the value converts), so a new
scalar field needs no `from_row` of its own. The general executor uses these; the compiled plans
generate their builders from the same fields (schema/compiled/).

- `pk` is the row's `id`; a private `<link>_pk` is the column of the to-one link that reads it
  (`to_one_field(ToOne(table, column), "<link>_pk", …)`); `id` is the global ID.
- An enum field converts the column value (`ActorKind("state")`), a list copies it, anything
  else is the column value as it is; None stays None.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from enum import Enum
from types import NoneType, UnionType
from typing import Any

from db.paging import Row
from schema.lists import FIELD_SPEC, LINK_ATTRIBUTE, ToOne

Builder = Callable[[Row], Any]


def _converter(annotation: Any) -> Callable[[Any], Any] | None:
    """How a column value becomes the field's value (None: as it is)."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (UnionType, typing.Union):
        inner = [a for a in typing.get_args(annotation) if a is not NoneType]
        annotation = inner[0] if len(inner) == 1 else annotation
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        enum = annotation
        return lambda v: None if v is None else enum(v)
    if typing.get_origin(annotation) is list:
        return lambda v: None if v is None else list(v)
    return None


def _link_columns(cls: type) -> dict[str, str]:
    """Private attribute -> column, from the type's to-one links."""
    found = {}
    for field in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        spec, attribute = field.metadata.get(FIELD_SPEC), field.metadata.get(LINK_ATTRIBUTE)
        if isinstance(spec, ToOne) and attribute:
            found[attribute] = spec.column
    return found


def _reader(column: str, convert: Callable[[Any], Any] | None) -> Callable[[Row], Any]:
    if convert is None:
        return lambda row: row[column]
    return lambda row: convert(row[column])


def row_builder(cls: type) -> Builder:
    """row -> an object of `cls` (a strawberry type with `global_id_of`)."""
    hints = typing.get_type_hints(cls, include_extras=True)
    links = _link_columns(cls)
    steps: list[tuple[str, Callable[[Row], Any]]] = []
    for field in dataclasses.fields(cls):
        if not field.init:
            continue  # fields with resolvers
        name = field.name
        if name == "id":
            steps.append((name, cls.global_id_of))  # type: ignore[attr-defined]
            continue
        column = "id" if name == "pk" else links.get(name, name)
        steps.append((name, _reader(column, _converter(hints[name]))))

    def build(row: Row) -> Any:
        return cls(**{name: get(row) for name, get in steps})

    return build
