"""Builders generated once per plan: one Python function per object shape, so building an
object from a row is one call with a dict display, not a call per field.

As dataclasses and graphql-jit do, the source is generated and compiled with `exec`. Nothing
from a request reaches it but response keys, which the GraphQL grammar limits to identifiers
(checked again here); everything else goes in by name through the function's namespace.

Where each response key's value comes from is one small frozen dataclass per kind (`Value`), and
an edge's parts add the cursor and the node (`EdgePart`); the builders dispatch on them with
`match`, so mypy checks every kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from db.paging import Row


@dataclass(frozen=True)
class Column:
    """row[column] as it is (text)."""

    column: str


@dataclass(frozen=True)
class IsoDate:
    """row[column].isoformat() (a non-null Date)."""

    column: str


@dataclass(frozen=True)
class Lookup:
    """names[row[column]] (a non-null enum: column value -> GraphQL name)."""

    column: str
    names: Mapping[Any, str]


@dataclass(frozen=True)
class Convert:
    """convert(row[column]) (the type's serialization, nulls kept)."""

    column: str
    convert: Callable[[Any], Any]


@dataclass(frozen=True)
class Call:
    """function(row) (a value of several columns: the global ID)."""

    function: Callable[[Row], Any]


@dataclass(frozen=True)
class Const:
    """The same value for every row (`__typename`)."""

    value: Any


@dataclass(frozen=True)
class Later:
    """None when built; a nested field filled in afterwards."""


Value = Column | IsoDate | Lookup | Convert | Call | Const | Later
LATER = Later()


@dataclass(frozen=True)
class Cursor:
    """An edge's cursor: of the ordering and the row's keys."""


class NodeSlot:
    """An edge's node: the next of the built node lists, at the edge's position (the plan's
    subclass carries the node's own plan)."""


EdgePart = Value | Cursor | NodeSlot


def _expression(value: Value, name: str, namespace: dict[str, Any]) -> str:
    match value:
        case Column(column):
            return f"row[{column!r}]"
        case IsoDate(column):
            return f"row[{column!r}].isoformat()"
        case Later():
            return "None"
        case Lookup(column, names):
            namespace[name] = names
            return f"{name}[row[{column!r}]]"
        case Convert(column, convert):
            namespace[name] = convert
            return f"{name}(row[{column!r}])"
        case Call(function):
            namespace[name] = function
            return f"{name}(row)"
        case Const(constant):
            namespace[name] = constant
            return name


def _compile(source: str, namespace: dict[str, Any], name: str) -> Any:
    exec(compile(source, f"<plan {name}>", "exec"), namespace)  # noqa: S102 — see the module docstring
    return namespace[name]


def _key(key: str) -> str:
    if not key.isidentifier():
        raise ValueError(f"{key!r} is not a GraphQL name")
    return repr(key)


def object_builder(values: list[tuple[str, Value]]) -> Callable[[Row], dict[str, Any]]:
    """row -> {response key: value} in selection order."""
    namespace: dict[str, Any] = {}
    items = [f"{_key(key)}: {_expression(v, f'_v{i}', namespace)}" for i, (key, v) in enumerate(values)]
    source = "def build(row):\n    return {" + ", ".join(items) + "}\n"
    built: Callable[[Row], dict[str, Any]] = _compile(source, namespace, "build")
    return built


EdgeBuilder = Callable[..., dict[str, Any]]


def edge_builder(parts: list[tuple[str, EdgePart]], encode_cursor: Callable[..., str]) -> EdgeBuilder:
    """(row, keys, position, ordering, *built node lists) -> edge, its parts in order."""
    namespace: dict[str, Any] = {"_cursor": encode_cursor}
    items, nodes = [], 0
    for i, (key, part) in enumerate(parts):
        match part:
            case NodeSlot():
                expression = f"_n{nodes}[position]"
                nodes += 1
            case Cursor():
                expression = "_cursor(ordering, keys)"
            case _:
                expression = _expression(part, f"_v{i}", namespace)
        items.append(f"{_key(key)}: {expression}")
    lists = "".join(f", _n{n}" for n in range(nodes))
    source = f"def edge(row, keys, position, ordering{lists}):\n    return {{" + ", ".join(items) + "}\n"
    built: EdgeBuilder = _compile(source, namespace, "edge")
    return built
