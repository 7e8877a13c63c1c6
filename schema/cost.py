"""Query cost: how many objects a query may return, known before any SQL runs.

Like GitHub's node limit, a connection's `first`/`last` (default 20) multiplies the cost of
everything selected under it, so `events(first: 100) { actors(first: 100) { … } }` costs
100 + 100 × 100.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    specified_rules,
    validate,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from schema.paging import DEFAULT_PAGE_SIZE

MAX_COST = 100_000
MAX_DEPTH = 10


def _page_size(field: FieldNode, variables: dict[str, Any]) -> int:
    for argument in field.arguments or ():
        if argument.name.value in ("first", "last"):
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(int(value.value), 0)
            if isinstance(value, VariableNode):
                given = variables.get(value.name.value)
                if isinstance(given, int):
                    return max(given, 0)
    return DEFAULT_PAGE_SIZE


def _selections(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str] = frozenset(),
) -> Iterator[FieldNode]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _selections(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:  # cycles are a validation error
                yield from _selections(fragments[name].selection_set, fragments, seen | {name})


def _cost(
    schema: GraphQLSchema,
    parent_types: list[GraphQLObjectType | GraphQLInterfaceType],
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    multiplier: int,
) -> int:
    total = 0
    for field in _selections(selection_set, fragments):
        definition = next(
            (t.fields[field.name.value] for t in parent_types if field.name.value in t.fields), None
        )
        if definition is None or field.selection_set is None:
            continue
        size = multiplier
        if "first" in definition.args:
            size = multiplier * _page_size(field, variables)
            total += size
        child = get_named_type(definition.type)
        children: list[GraphQLObjectType | GraphQLInterfaceType] = []
        if isinstance(child, GraphQLObjectType | GraphQLInterfaceType):
            children = [child]
            if isinstance(child, GraphQLInterfaceType):
                children += list(schema.get_possible_types(child))
        total += _cost(schema, children, field.selection_set, fragments, variables, size)
    return total


def _depth(selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]) -> int:
    deepest = 0
    for field in _selections(selection_set, fragments):
        if field.name.value.startswith("__"):
            continue  # introspection is cheap and GraphiQL's own query is deep
        deepest = max(deepest, 1 + _depth(field.selection_set, fragments))
    return deepest


def _operation(
    document: DocumentNode, operation_name: str | None
) -> tuple[OperationDefinitionNode | None, dict[str, FragmentDefinitionNode]]:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    return (operations[0] if operations else None), fragments


def query_depth(document: DocumentNode, operation_name: str | None = None) -> int:
    operation, fragments = _operation(document, operation_name)
    return _depth(operation.selection_set, fragments) if operation else 0


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> int:
    operation, fragments = _operation(document, operation_name)
    if operation is None or schema.query_type is None:
        return 0
    return _cost(schema, [schema.query_type], operation.selection_set, fragments, variables or {}, 1)


# Validation depends only on the document text (not on variables), so its result is cached; on
# small queries it was most of a request's CPU time.
_VALIDATED: OrderedDict[str, list[GraphQLError]] = OrderedDict()
VALIDATION_CACHE_SIZE = 1024


def _validate(context: ExecutionContext, document: DocumentNode) -> list[GraphQLError]:
    key = context.query
    if key is not None and key in _VALIDATED:
        _VALIDATED.move_to_end(key)
        return _VALIDATED[key]
    rules = list(dict.fromkeys([*specified_rules, *context.validation_rules]))
    errors = validate(context.schema._schema, document, rules)
    if key is not None:
        _VALIDATED[key] = errors
        if len(_VALIDATED) > VALIDATION_CACHE_SIZE:
            _VALIDATED.popitem(last=False)
    return errors


class CostLimiter(SchemaExtension):
    """Validates the document (cached), then refuses it when it is deeper than MAX_DEPTH or
    costs more than MAX_COST, naming the limit and the value found."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            errors = _validate(context, document)
            depth = query_depth(document, context.operation_name) if not errors else 0
            if depth > MAX_DEPTH:
                errors = [
                    GraphQLError(
                        f"query depth {depth} exceeds the limit of {MAX_DEPTH}",
                        extensions={"code": "QUERY_TOO_DEEP", "depth": depth, "limit": MAX_DEPTH},
                    )
                ]
            if not errors:
                cost = query_cost(context.schema._schema, document, context.variables, context.operation_name)
                if cost > MAX_COST:
                    errors = [
                        GraphQLError(
                            f"query cost {cost} exceeds the limit of {MAX_COST}: each connection's "
                            f"`first`/`last` (default {DEFAULT_PAGE_SIZE}) multiplies the cost of "
                            "what is selected under it; ask for smaller pages",
                            extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": MAX_COST},
                        )
                    ]
            context.pre_execution_errors = errors
        yield
