"""Builders generated once per plan: one Python function per object shape, so building an
object from a row is one call with a dict display, not a call per field.

As dataclasses and graphql-jit do, the source is generated and compiled with `exec`. Nothing
from a request reaches it but response keys, which the GraphQL grammar limits to identifiers
(checked again here); everything else goes in by name through the function's namespace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from db.paging import Row


@dataclass(frozen=True)
class Value:
    """Where a response key's value comes from.

    kind: "column" (row[column] as is), "date" (row[column].isoformat()), "lookup"
    (function[row[column]], a dict), "convert" (function(row[column])), "call" (function(row)),
    "const" (function itself), "later" (None now; a nested field filled in afterwards).
    """

    kind: str
    column: str = ""
    function: Any = None


def _expression(value: Value, name: str, namespace: dict[str, Any]) -> str:
    column = repr(value.column)
    if value.kind == "column":
        return f"row[{column}]"
    if value.kind == "date":
        return f"row[{column}].isoformat()"
    if value.kind == "later":
        return "None"
    namespace[name] = value.function
    if value.kind == "lookup":
        return f"{name}[row[{column}]]"
    if value.kind == "convert":
        return f"{name}(row[{column}])"
    if value.kind == "call":
        return f"{name}(row)"
    assert value.kind == "const", value.kind
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


def edge_builder(parts: list[tuple[str, str, Any]], encode_cursor: Callable[..., str]) -> EdgeBuilder:
    """(row, keys, position, ordering, *built node lists) -> edge. `parts` are (key, kind,
    payload) with kind "node" (the next built list, at position), "cursor", "value" (a Value)."""
    namespace: dict[str, Any] = {"_cursor": encode_cursor}
    items, nodes = [], 0
    for i, (key, kind, payload) in enumerate(parts):
        if kind == "node":
            expression = f"_n{nodes}[position]"
            nodes += 1
        elif kind == "cursor":
            expression = "_cursor(ordering, keys)"
        else:
            expression = _expression(payload, f"_v{i}", namespace)
        items.append(f"{_key(key)}: {expression}")
    lists = "".join(f", _n{n}" for n in range(nodes))
    source = f"def edge(row, keys, position, ordering{lists}):\n    return {{" + ", ".join(items) + "}\n"
    built: EdgeBuilder = _compile(source, namespace, "edge")
    return built
