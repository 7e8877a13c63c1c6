"""The GraphQL document behind each REST route, and how its answer becomes a REST body.

Selections are derived from the schema: a record's scalar and enum fields, each to-one link as a
reference (slug and name or title, and URL for sources), and the relations a kind embeds
(`EMBEDS`) as lists of references; `expand` swaps a reference for the related record's fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

# Relations embedded in a record, as references (at most RELATION_PAGE each). The others (a
# topic's events…) are the collections filtered by it: /v1/events?topic=….
EMBEDS: dict[str, tuple[str, ...]] = {
    "Event": ("actors", "policies", "topics", "sources", "implementedBy"),
    "Policy": ("topics", "sources", "events"),
    "Actor": ("children",),
    "Metric": ("sources",),
}
RELATION_PAGE = 100
REFERENCE_FIELDS = ("slug", "name", "title", "url")
LIST_SEPARATOR = ";"

Row = dict[str, Any]


def _is_scalar(gql_field: GraphQLField) -> bool:
    return isinstance(get_named_type(gql_field.type), GraphQLScalarType | GraphQLEnumType)


def _has_required_args(gql_field: GraphQLField) -> bool:
    return any(isinstance(a.type, GraphQLNonNull) for a in gql_field.args.values())


def _is_node(type_: GraphQLObjectType) -> bool:
    return "slug" in type_.fields


@dataclass(frozen=True)
class Link:
    """A related record: to-one (`issuer`) or a relation (`actors`), shown as references or,
    expanded, as the related record's scalar fields."""

    name: str
    target: GraphQLObjectType
    many: bool
    with_role: bool
    expanded: bool

    def reference_fields(self) -> list[str]:
        return [f for f in REFERENCE_FIELDS if f in self.target.fields]

    def fields(self) -> list[str]:
        if self.expanded:
            return [n for n, f in self.target.fields.items() if _is_scalar(f) and not _has_required_args(f)]
        return self.reference_fields()

    def selection(self) -> str:
        inner = " ".join(self.fields())
        if not self.many:
            return f"{self.name} {{ {inner} }}"
        if self.with_role:
            return f"{self.name}(first: {RELATION_PAGE}) {{ edges {{ role node {{ {inner} }} }} }}"
        return f"{self.name}(first: {RELATION_PAGE}) {{ nodes {{ {inner} }} }}"


@dataclass(frozen=True)
class Shape:
    """What a route selects of a record type, and how the answer is reshaped and flattened."""

    type: GraphQLObjectType
    scalars: tuple[str, ...]
    values: tuple[tuple[str, str], ...]  # (field, selection) of plain nested objects (rowCounts)
    links: tuple[Link, ...]

    def selection(self) -> str:
        parts = [*self.scalars, *(sel for _, sel in self.values), *(link.selection() for link in self.links)]
        return " ".join(parts)

    def reshape(self, row: Row) -> Row:
        """GraphQL's connections ({nodes} / {edges {role node}}) as plain lists, in place."""
        return self.reshape_all([row])[0]

    def reshape_all(self, rows: list[Row]) -> list[Row]:
        """`reshape` of every row, in place: each answer's dicts are its own, and copying every
        related record cost a REST page of 50 events 0.08 ms of its ~2.3. A relation at a time,
        its names read once (not a Link's attributes per row)."""
        for name in self._plain_relations:
            for row in rows:
                value = row.get(name)
                if value is not None:
                    row[name] = value["nodes"]
        for name in self._role_relations:
            for row in rows:
                value = row.get(name)
                if value is not None:
                    related = []
                    for edge in value["edges"]:
                        node = edge["node"]
                        node["role"] = edge["role"]
                        related.append(node)
                    row[name] = related
        return rows

    @cached_property
    def _plain_relations(self) -> tuple[str, ...]:
        return tuple(link.name for link in self.links if link.many and not link.with_role)

    @cached_property
    def _role_relations(self) -> tuple[str, ...]:
        return tuple(link.name for link in self.links if link.many and link.with_role)

    def columns(self) -> list[str]:
        names = [*self.scalars, *(n for n, _ in self.values)]
        for link in self.links:
            names.append(link.name)
            if "url" in link.target.fields:
                names.append(f"{link.name}Urls")
        return names

    def flatten(self, row: Row) -> list[Any]:
        """One CSV row: relations as `slug;…` (`slug:ROLE;…` with roles), URLs in `<relation>Urls`,
        lists joined by `;`, nested values as JSON."""
        out: list[Any] = []
        for name in self.scalars:
            value = row.get(name)
            out.append(LIST_SEPARATOR.join(map(str, value)) if isinstance(value, list) else value)
        for name, _ in self.values:
            out.append(row.get(name))
        for link in self.links:
            value = row.get(link.name)
            records = (value or []) if link.many else ([value] if value else [])
            if link.with_role:
                out.append(LIST_SEPARATOR.join(f"{r['slug']}:{r['role']}" for r in records))
            else:
                out.append(LIST_SEPARATOR.join(r["slug"] for r in records))
            if "url" in link.target.fields:
                out.append(LIST_SEPARATOR.join(r["url"] for r in records))
        return out


def links_of(schema: GraphQLSchema, type_: GraphQLObjectType) -> list[str]:
    """The names `expand` takes for a type: its to-one links and embedded relations."""
    return [link.name for link in _links(schema, type_, frozenset())]


def _links(schema: GraphQLSchema, type_: GraphQLObjectType, expand: frozenset[str]) -> list[Link]:
    links: list[Link] = []
    embeds = EMBEDS.get(type_.name, ())
    for name, gql_field in type_.fields.items():
        named = get_named_type(gql_field.type)
        if not isinstance(named, GraphQLObjectType) or _has_required_args(gql_field):
            continue
        if named.name.endswith("Connection"):
            if name not in embeds:
                continue
            edge = get_named_type(named.fields["edges"].type)
            assert isinstance(edge, GraphQLObjectType)
            target = get_named_type(edge.fields["node"].type)
            assert isinstance(target, GraphQLObjectType)
            links.append(Link(name, target, True, "role" in edge.fields, name in expand))
        elif _is_node(named):
            links.append(Link(name, named, False, False, name in expand))
    return links


def shape(schema: GraphQLSchema, type_name: str, expand: Iterable[str] = ()) -> Shape:
    type_ = schema.type_map[type_name]
    assert isinstance(type_, GraphQLObjectType)
    scalars = tuple(n for n, f in type_.fields.items() if _is_scalar(f) and not _has_required_args(f))
    values = []
    for name, gql_field in type_.fields.items():
        named = get_named_type(gql_field.type)
        plain = isinstance(named, GraphQLObjectType) and not _is_node(named) and not gql_field.args
        if plain and not named.name.endswith("Connection"):
            assert isinstance(named, GraphQLObjectType)
            inner = " ".join(n for n, f in named.fields.items() if _is_scalar(f))
            values.append((name, f"{name} {{ {inner} }}"))
    return Shape(type_, scalars, tuple(values), tuple(_links(schema, type_, frozenset(expand))))


@dataclass(frozen=True)
class SearchShape:
    """Search hits: the hit's kind, its reference fields, rank and snippet."""

    union: GraphQLUnionType

    def selection(self) -> str:
        fragments = " ".join(
            f"... on {t.name} {{ {' '.join(f for f in REFERENCE_FIELDS if f in t.fields)} }}"
            for t in self.union.types
        )
        return f"edges {{ rank snippet node {{ __typename {fragments} }} }}"

    def columns(self) -> list[str]:
        present = {f for t in self.union.types for f in t.fields}
        return ["kind", *(f for f in REFERENCE_FIELDS if f in present), "rank", "snippet"]

    def rows(self, page: Row) -> list[Row]:
        hits = []
        for edge in page["edges"]:
            node = dict(edge["node"])
            kind = node.pop("__typename")
            hits.append({"kind": kind, **node, "rank": edge["rank"], "snippet": edge["snippet"]})
        return hits

    def flatten(self, row: Row) -> list[Any]:
        return [row.get(c) for c in self.columns()]


def operation(
    name: str,
    variables: Iterable[tuple[str, str]],
    path: list[tuple[str, list[str]]],
    body: str,
) -> str:
    """`query Name($a: T…) { f0(a: $a) { f1(b: $b) { body } } }`, each path level aliased
    `level0`, `level1`… so the answer is read by position whatever the fields are called."""
    declared = ", ".join(f"${n}: {t}" for n, t in variables)
    text = body
    for depth in range(len(path) - 1, -1, -1):
        field_name, arguments = path[depth]
        args = ", ".join(f"{a}: ${a}" for a in arguments)
        call = f"{field_name}({args})" if args else field_name
        text = f"level{depth}: {call} {{ {text} }}" if text else f"level{depth}: {call}"
    return f"query {name}{f'({declared})' if declared else ''} {{ {text} }}"


def page_body(selection: str, with_total: bool, search: bool = False) -> str:
    total = "totalCount " if with_total else ""
    items = selection if search else f"nodes {{ {selection} }}"
    return f"{total}pageInfo {{ hasNextPage endCursor }} {items}"


def descend(data: Row | None, depth: int) -> Any:
    """The value at the end of an `operation`'s aliased path; None where a level is null."""
    value: Any = data
    for level in range(depth):
        if value is None:
            return None
        value = value[f"level{level}"]
    return value


Reshape = Callable[[Row], Row]
