"""Compiling a validated query into a plan: for every selected field, how to get its value
from a database row, and which batched statement feeds each nested list.

graphql-core executes a query field by field (a page of 50 events with their relations is
~1,200 resolver calls, each with its argument conversion and awaitable); a plan answers the
same query with one pass over the rows. A root field whose subtree holds anything a plan does not
know (introspection, search, aggregates, a field with its own resolver) is a `ResolverStep`:
graphql-core resolves that field alone, inside the plan. @skip and @include are applied when
the plan is compiled: an operation using them has a plan per value of the variables they read
(schema/compiled/executor.py keeps them); any other directive makes `compile_operation` return
None, and the general executor answers the operation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any

from graphql import (
    BREAK,
    DirectiveNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    Node,
    OperationDefinitionNode,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.types.field import StrawberryField

from db.paging import Row
from schema.compiled.adapter import (
    FieldDetailsList,
    FragmentDetails,
    VariableValues,
    leaf_arguments,
    python_arguments,
    subfields,
)
from schema.compiled.codegen import (
    LATER,
    Call,
    Column,
    Const,
    Convert,
    Cursor,
    EdgeBuilder,
    EdgePart,
    IsoDate,
    Lookup,
    NodeSlot,
    Value,
    edge_builder,
    object_builder,
)
from schema.entities import NODE_TABLES
from schema.lists import FIELD_SPEC, BySlug, NodeLookup, RelationList, RootList, ToOne
from schema.paging import encode_cursor

STRAWBERRY = "strawberry-definition"


def _unbuilt(*args: Any) -> Any:
    raise AssertionError("the plan's builder is made when its fields are known")


PAGE_INFO_FIELDS = {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"}


class Unsupported(Exception):
    """The plan cannot serve this query (at compile or run time); the general executor will."""


class NestedPublicError(Exception):
    """A client error below the root fields (a bad cursor on a nested list). The general
    executor reports it once per parent, with each parent's path; plans do not track paths yet,
    so the operation is handed back (counted and logged, see schema/compiled/executor.py)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class Arguments:
    """A field's arguments, converted to the resolver's Python values: once, when they name no
    variable (the resolvers never modify them), else per request."""

    definition: GraphQLField
    node: FieldNode
    strawberry_field: StrawberryField
    constant: dict[str, Any] | None = None
    leaves: dict[str, str] | None = None  # adapter.leaf_arguments, once known

    def __post_init__(self) -> None:
        self.uses_variables = _uses_variables(self.node)

    def convert(self, variables: VariableValues, schema: GraphQLSchema) -> dict[str, Any]:
        if self.uses_variables:
            return self._convert(variables, schema)
        if self.constant is None:
            self.constant = self._convert(variables, schema)
        return self.constant

    def _convert(self, variables: VariableValues, schema: GraphQLSchema) -> dict[str, Any]:
        if self.leaves is None:
            self.leaves = leaf_arguments(schema, self.strawberry_field)
        field = self.strawberry_field
        return python_arguments(schema, self.definition, self.node, field, variables, self.leaves)


@dataclass
class ObjectPlan:
    """An object built from one row: plain fields by a generated builder, nested ones after."""

    values: list[tuple[str, Value]]  # every response key, in order; nested ones are "later"
    nested: list[NestedList | NestedOne] = field(default_factory=list)
    columns: set[str] = field(default_factory=lambda: {"id"})  # the row columns it reads
    build: Callable[[Row], dict[str, Any]] = _unbuilt

    @cached_property
    def lists(self) -> list[NestedList]:
        return [n for n in self.nested if isinstance(n, NestedList)]

    @cached_property
    def ones(self) -> list[NestedOne]:
        return [n for n in self.nested if isinstance(n, NestedOne)]


class EdgeNode(NodeSlot):
    """An edge's `node`, built by its own plan."""

    def __init__(self, plan: ObjectPlan) -> None:
        self.plan = plan


@dataclass
class EdgePlan:
    parts: list[tuple[str, EdgePart]]  # (response key, where its value comes from), in order
    build: EdgeBuilder = _unbuilt

    @cached_property
    def nodes(self) -> list[ObjectPlan]:
        """The edge's `node` selections, in order (aliases make several)."""
        return [part.plan for _, part in self.parts if isinstance(part, EdgeNode)]


# What a connection's selections are, one frozen dataclass per kind (dispatched with `match`).
@dataclass(frozen=True)
class Edges:
    plan: EdgePlan


@dataclass(frozen=True)
class Nodes:
    plan: ObjectPlan


@dataclass(frozen=True)
class PageInfoFields:
    fields: tuple[tuple[str, str], ...]  # (response key, PageInfo field)


@dataclass(frozen=True)
class TotalCount:
    pass


@dataclass(frozen=True)
class Typename:
    name: str


ConnectionPart = Edges | Nodes | PageInfoFields | TotalCount | Typename


@dataclass
class ConnectionPlan:
    order: list[tuple[str, ConnectionPart]]  # every selection with its response key, in order

    @cached_property
    def wants_rows(self) -> bool:
        return any(isinstance(part, Edges | Nodes | PageInfoFields) for _, part in self.order)

    @cached_property
    def wants_count(self) -> bool:
        return any(isinstance(part, TotalCount) for _, part in self.order)

    @cached_property
    def object_plans(self) -> list[ObjectPlan]:
        """Every object selection on the items (each edges' nodes, and nodes), built per row."""
        plans: list[ObjectPlan] = []
        for _, part in self.order:
            match part:
                case Edges(edge):
                    plans += edge.nodes
                case Nodes(plan):
                    plans.append(plan)
        return plans

    @cached_property
    def columns(self) -> frozenset[str]:
        """The columns of the item table that any selection on the items reads."""
        return frozenset({"id"}.union(*(plan.columns for plan in self.object_plans)))


@dataclass
class NestedList:
    key: str
    spec: RelationList
    arguments: Arguments
    connection: ConnectionPlan


@dataclass
class NestedOne:
    key: str
    spec: ToOne
    target: ObjectPlan
    nullable: bool


@dataclass(frozen=True)
class ResolverStep:
    """A root field no plan step serves (introspection, search, aggregates, a field with its
    own resolver below it): graphql-core's executor resolves it, for its own subtree only."""

    reason: str


@dataclass
class RootField:
    key: str
    spec: RootList | BySlug | NodeLookup | ResolverStep | None  # None: __typename
    arguments: Arguments | None = None
    connection: ConnectionPlan | None = None
    target: ObjectPlan | None = None  # BySlug
    targets: dict[str, ObjectPlan] = field(default_factory=dict)  # NodeLookup, by type name
    nullable: bool = True  # whether an error in it nulls only the field (else all the data)
    details: FieldDetailsList = field(default_factory=list)  # its selections, as collected

    @property
    def nodes(self) -> list[FieldNode]:
        """The field's selections, where its errors are located."""
        return [d.node for d in self.details]


@dataclass
class OperationPlan:
    roots: list[RootField]

    @cached_property
    def by_key(self) -> dict[str, RootField]:
        return {root.key: root for root in self.roots}


def _unwrap(type_: GraphQLOutputType) -> tuple[GraphQLOutputType, bool]:
    if isinstance(type_, GraphQLNonNull):
        return type_.of_type, False
    return type_, True


def _item_type(type_: GraphQLOutputType | None) -> GraphQLNamedType:
    """The item type of a list field (`[Edge!]!` -> Edge)."""
    assert isinstance(type_, GraphQLList)
    item, _ = _unwrap(type_.of_type)
    assert isinstance(item, GraphQLNamedType)
    return item


def _value_converter(type_: GraphQLOutputType) -> Callable[[Any], Any]:
    """How a column value becomes the field's JSON value (the type's serialization)."""
    inner, _ = _unwrap(type_)
    if isinstance(inner, GraphQLList):
        item = _value_converter(inner.of_type)
        return lambda v: None if v is None else [item(x) for x in v]
    if isinstance(inner, GraphQLEnumType):
        names = _enum_names(inner)
        return lambda v: None if v is None else names[v]
    if isinstance(inner, GraphQLScalarType):
        if inner is GraphQLString:
            return lambda v: v if v is None or type(v) is str else GraphQLString.serialize(v)
        serialize = inner.serialize
        return lambda v: None if v is None else serialize(v)
    raise Unsupported(f"no column conversion for {inner}")


def _column(name: str, type_: GraphQLOutputType) -> Value:
    inner, nullable = _unwrap(type_)
    if inner is GraphQLString:
        return Column(name)  # text columns arrive as str (or None)
    if not nullable and isinstance(inner, GraphQLEnumType):
        return Lookup(name, _enum_names(inner))
    if not nullable and isinstance(inner, GraphQLScalarType) and inner.name == "Date":
        return IsoDate(name)
    return Convert(name, _value_converter(type_))


def _enum_names(type_: GraphQLEnumType) -> dict[Any, str]:
    """Column value -> GraphQL name (the column holds the Python enum's value)."""
    definition = type_.extensions[STRAWBERRY]
    return {(v.value.value if isinstance(v.value, Enum) else v.value): v.name for v in definition.values}


def _uses_variables(node: FieldNode) -> bool:
    return _contains(node.arguments or (), VariableNode)


class _Finder(Visitor):
    def __init__(self, node_type: type[Node]) -> None:
        super().__init__()
        self.node_type = node_type
        self.found = False

    def enter(self, node: Node, *_: Any) -> Any:
        if isinstance(node, self.node_type):
            self.found = True
            return BREAK
        return None


def _contains(nodes: Iterable[Node], node_type: type[Node]) -> bool:
    """Whether any of these AST nodes holds a node of this type."""
    finder = _Finder(node_type)
    for node in nodes:
        visit(node, finder)
        if finder.found:
            return True
    return False


class _Compiler:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDetails],
        variables: VariableValues,
        operation: OperationDefinitionNode,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.operation = operation

    def subfields(self, type_: GraphQLObjectType, details: FieldDetailsList) -> dict[str, FieldDetailsList]:
        return subfields(self.schema, self.fragments, self.variables, self.operation, type_, details)

    def arguments(self, parent: GraphQLObjectType, details: FieldDetailsList) -> Arguments:
        node = details[0].node
        definition = parent.fields[node.name.value]
        return Arguments(definition, node, definition.extensions[STRAWBERRY])

    def object(self, type_: GraphQLNamedType, details: FieldDetailsList) -> ObjectPlan:
        if not isinstance(type_, GraphQLObjectType):
            raise Unsupported(f"{type_} is abstract")
        origin = type_.extensions[STRAWBERRY].origin
        plan = ObjectPlan(values=[])
        for key, sub in self.subfields(type_, details).items():
            name = sub[0].node.name.value
            if name == "__typename":
                plan.values.append((key, Const(type_.name)))
                continue
            definition = type_.fields[name]
            strawberry_field: StrawberryField = definition.extensions[STRAWBERRY]
            spec = strawberry_field.metadata.get(FIELD_SPEC)
            target, nullable = _unwrap(definition.type)
            if isinstance(spec, RelationList):
                assert isinstance(target, GraphQLObjectType)
                plan.values.append((key, LATER))
                plan.nested.append(
                    NestedList(key, spec, self.arguments(type_, sub), self.connection(target, sub))
                )
            elif isinstance(spec, ToOne):
                assert isinstance(target, GraphQLNamedType)
                plan.values.append((key, LATER))
                plan.nested.append(NestedOne(key, spec, self.object(target, sub), nullable))
                plan.columns.add(spec.column)
            elif strawberry_field.base_resolver is not None:
                raise Unsupported(f"{type_.name}.{name} has its own resolver")
            elif strawberry_field.python_name == "id":
                plan.values.append((key, Call(origin.global_id_of)))
                plan.columns.update(origin.id_columns)
            else:
                plan.values.append((key, _column(strawberry_field.python_name, definition.type)))
                plan.columns.add(strawberry_field.python_name)
        plan.build = object_builder(plan.values)
        return plan

    def connection(self, type_: GraphQLObjectType, details: FieldDetailsList) -> ConnectionPlan:
        plan = ConnectionPlan(order=[])
        for key, sub in self.subfields(type_, details).items():
            name = sub[0].node.name.value
            target, _ = _unwrap(type_.fields[name].type) if name != "__typename" else (None, False)
            if name == "__typename":
                plan.order.append((key, Typename(type_.name)))
            elif name == "edges":
                edge_type = _item_type(target)
                assert isinstance(edge_type, GraphQLObjectType)
                plan.order.append((key, Edges(self.edge(edge_type, sub))))
            elif name == "nodes":
                plan.order.append((key, Nodes(self.object(_item_type(target), sub))))
            elif name == "pageInfo":
                assert isinstance(target, GraphQLObjectType)
                fields = [(k, s[0].node.name.value) for k, s in self.subfields(target, sub).items()]
                if not {name for _, name in fields} <= PAGE_INFO_FIELDS:
                    raise Unsupported(f"{target.name} field")
                plan.order.append((key, PageInfoFields(tuple(fields))))
            elif name == "totalCount":
                plan.order.append((key, TotalCount()))
            else:
                raise Unsupported(f"{type_.name}.{name}")
        return plan

    def edge(self, type_: GraphQLObjectType, details: FieldDetailsList) -> EdgePlan:
        plan = EdgePlan(parts=[])
        for key, sub in self.subfields(type_, details).items():
            name = sub[0].node.name.value
            if name == "__typename":
                plan.parts.append((key, Const(type_.name)))
            elif name == "cursor":
                plan.parts.append((key, Cursor()))
            elif name == "node":
                node_type, _ = _unwrap(type_.fields[name].type)
                assert isinstance(node_type, GraphQLNamedType)
                plan.parts.append((key, EdgeNode(self.object(node_type, sub))))
            elif name == "role":
                plan.parts.append((key, _column("role", type_.fields[name].type)))
            else:
                raise Unsupported(f"{type_.name}.{name}")
        plan.build = edge_builder(plan.parts, encode_cursor)
        return plan

    def root(self, query: GraphQLObjectType, key: str, details: FieldDetailsList) -> RootField:
        name = details[0].node.name.value
        if name == "__typename":
            return RootField(key, None)
        if name not in query.fields:  # __schema, __type
            raise Unsupported(f"Query.{name}")
        definition = query.fields[name]
        spec = definition.extensions[STRAWBERRY].metadata.get(FIELD_SPEC)
        target, _ = _unwrap(definition.type)
        arguments = self.arguments(query, details)
        if isinstance(spec, RootList):
            assert isinstance(target, GraphQLObjectType)
            return RootField(key, spec, arguments, connection=self.connection(target, details))
        if isinstance(spec, BySlug):
            assert isinstance(target, GraphQLNamedType)
            return RootField(key, spec, arguments, target=self.object(target, details))
        if isinstance(spec, NodeLookup):
            targets = {}
            for type_name in NODE_TABLES:
                node_type = self.schema.get_type(type_name)
                assert isinstance(node_type, GraphQLObjectType)
                targets[type_name] = self.object(node_type, details)
            return RootField(key, spec, arguments, targets=targets)
        raise Unsupported(f"Query.{name}")


class _DirectiveVariables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.others = False

    def enter_directive(self, node: DirectiveNode, *_: Any) -> Any:
        if node.name.value not in ("skip", "include"):
            self.others = True
            return BREAK
        for argument in node.arguments or ():
            if isinstance(argument.value, VariableNode):
                self.names.append(argument.value.name.value)
        return None


def directive_variables(definitions: Iterable[Node]) -> tuple[str, ...] | None:
    """The variables @skip/@include read in these definitions (the operation and its
    fragments): a plan holds the selections those directives kept, so it is compiled for each
    of their values. None when any other directive is used (no plan serves it)."""
    finder = _DirectiveVariables()
    for node in definitions:
        visit(node, finder)
        if finder.others:
            return None
    return tuple(sorted(set(finder.names)))


def compile_operation(
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDetails],
    variables: VariableValues,
    operation: OperationDefinitionNode,
    grouped_field_set: dict[str, FieldDetailsList],
) -> OperationPlan | None:
    """A plan for the operation, or None when any part of it is outside what plans serve."""
    query = schema.query_type
    if query is None or operation.operation.value != "query":
        return None
    if directive_variables([operation, *(f.definition for f in fragments.values())]) is None:
        return None
    compiler = _Compiler(schema, fragments, variables, operation)
    roots = []
    for key, details in grouped_field_set.items():
        try:
            root = compiler.root(query, key, details)
        except Unsupported as unsupported:
            root = RootField(key, ResolverStep(str(unsupported)))
        root.details = details
        definition = query.fields.get(details[0].node.name.value)  # none for __schema, __type
        if root.spec is not None and definition is not None:
            root.nullable = not isinstance(definition.type, GraphQLNonNull)
        roots.append(root)
    return OperationPlan(roots)
