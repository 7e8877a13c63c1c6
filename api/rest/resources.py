"""The REST resources under /v1/: each one a GraphQL field path, what it returns, and its
parameters (derived from that field's arguments)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from graphql import GraphQLField, GraphQLObjectType, GraphQLSchema, GraphQLUnionType, get_named_type

from api.rest.documents import SearchShape, Shape, links_of, shape
from api.rest.parameters import Signature, signature
from db.entities import SLUGGED
from schema.entities import type_name


class Kind(Enum):
    COLLECTION = "collection"  # a connection: paged, every format
    ITEM = "item"  # one record by slug: JSON
    LIST = "list"  # an unpaged list (timeline, event counts): every format
    OBJECT = "object"  # one object without a key (the release): JSON
    SEARCH = "search"  # search hits, paged, every format


@dataclass(frozen=True)
class Resource:
    path: str  # as Starlette and OpenAPI write it: /v1/events/{slug}
    kind: Kind
    fields: tuple[tuple[str, tuple[str, ...]], ...]  # GraphQL fields from the root, with path arguments
    type_name: str  # the record type of its items
    operation_id: str
    tag: str
    summary: str

    @property
    def path_parameters(self) -> tuple[str, ...]:
        return tuple(a for _, args in self.fields for a in args)

    @property
    def has_formats(self) -> bool:
        return self.kind in (Kind.COLLECTION, Kind.LIST, Kind.SEARCH)

    @property
    def paged(self) -> bool:
        return self.kind in (Kind.COLLECTION, Kind.SEARCH)

    def gql_fields(self, schema: GraphQLSchema) -> list[GraphQLField]:
        found = []
        parent: GraphQLObjectType = schema.query_type  # type: ignore[assignment]
        for name, _ in self.fields:
            gql_field = parent.fields[name]
            found.append(gql_field)
            named = get_named_type(gql_field.type)
            if isinstance(named, GraphQLObjectType):
                parent = named
        return found

    def signature(self, schema: GraphQLSchema) -> tuple[Signature, list[tuple[str, str]]]:
        """The last field's parameters, and every variable of the document (path ones first)."""
        fields = self.gql_fields(schema)
        variables: list[tuple[str, str]] = []
        for gql_field, (_, args) in zip(fields[:-1], self.fields[:-1], strict=True):
            variables += [(a, str(gql_field.args[a].type)) for a in args]
        sig = signature(fields[-1], self.fields[-1][1])
        variables += [(v.name, v.type) for v in sig.variables]
        return sig, variables

    def shape(self, schema: GraphQLSchema, expand: frozenset[str] = frozenset()) -> Shape | SearchShape:
        named = schema.type_map[self.type_name]
        if isinstance(named, GraphQLUnionType):
            return SearchShape(named)
        return shape(schema, self.type_name, expand)

    def expandable(self, schema: GraphQLSchema) -> list[str]:
        named = schema.type_map[self.type_name]
        if not isinstance(named, GraphQLObjectType):
            return []
        return links_of(schema, named)




def _resources() -> tuple[Resource, ...]:
    found: list[Resource] = []
    # Each kind with slugs: its collection (path and root list), its item field, its type.
    for entity in SLUGGED:
        path, many, one, type_ = entity.plural, entity.plural, entity.kind, type_name(entity)
        found.append(
            Resource(
                f"/v1/{path}",
                Kind.COLLECTION,
                ((many, ()),),
                type_,
                f"list_{path}",
                path,
                f"List {path}",
            )
        )
        found.append(
            Resource(
                f"/v1/{path}/{{slug}}",
                Kind.ITEM,
                ((one, ("slug",)),),
                type_,
                f"get_{one}",
                path,
                f"One {one} by slug",
            )
        )
    found += [
        Resource(
            "/v1/metrics/{slug}/observations",
            Kind.COLLECTION,
            (("metric", ("slug",)), ("observations", ())),
            "Observation",
            "list_observations",
            "metrics",
            "A metric's observations",
        ),
        Resource(
            "/v1/timeline",
            Kind.LIST,
            (("timeline", ()),),
            "TimelineBucket",
            "timeline",
            "aggregates",
            "The cooperation index over time",
        ),
        Resource(
            "/v1/event-counts",
            Kind.LIST,
            (("eventCounts", ()),),
            "EventCount",
            "event_counts",
            "aggregates",
            "Event counts by group",
        ),
        Resource(
            "/v1/search",
            Kind.SEARCH,
            (("search", ()),),
            "SearchResult",
            "search",
            "search",
            "Search every kind at once",
        ),
        Resource(
            "/v1/release",
            Kind.OBJECT,
            (("release", ()),),
            "Release",
            "release",
            "release",
            "The loaded data release",
        ),
    ]
    return tuple(found)


RESOURCES = _resources()
