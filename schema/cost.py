"""What a request asks for, measured before any SQL runs: its expanded size, depth and cost,
and the size and shape of its inputs.

Like GitHub's node limit, a connection's `first`/`last` (default 20) multiplies the cost of
everything selected under it, so `events(first: 100) { actors(first: 100) { … } }` costs
100 + 100 × 100; a list of ids (`nodes(ids:)`) multiplies by its length. Page sizes and id
lists given as variables are read from the variables, or from the variable's default.

Every measure is computed once per fragment (memoised), so a document whose spreads fan out
(`fragment F0 { ...F1 ...F1 }`, twenty levels deep) costs time linear in its text, and its
expanded size is refused before anything walks it whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from graphql import (
    SKIP,
    BooleanValueNode,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationRule,
    ValueNode,
    VariableNode,
    VisitorAction,
    get_named_type,
    value_from_ast_untyped,
)

from schema.limits import QueryLimits
from schema.paging import DEFAULT_PAGE_SIZE
from schema.shown import shown

ParentTypes = tuple[GraphQLObjectType | GraphQLInterfaceType, ...]
_SEARCH_ARGUMENTS = frozenset({"search", "query"})


class LimitError(GraphQLError):
    """A request refused by a limit: the message names the limit and the value found."""

    def __init__(self, message: str, code: str, **details: Any) -> None:
        super().__init__(message, extensions={"code": code, **details})


def _operation(
    document: DocumentNode, operation_name: str | None
) -> tuple[OperationDefinitionNode | None, dict[str, FragmentDefinitionNode]]:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    return (operations[0] if operations else None), fragments


class Shape(NamedTuple):
    fields: int
    aliases: int
    depth: int


@dataclass
class _Analysis:
    """Measures of one operation; each fragment is measured once per parent type."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]

    def __post_init__(self) -> None:
        self._shapes: dict[str, Shape] = {}
        self._costs: dict[tuple[str, tuple[str, ...]], int] = {}

    def _fragment(self, spread: FragmentSpreadNode) -> FragmentDefinitionNode | None:
        return self.fragments.get(spread.name.value)

    def shape(self, selection_set: SelectionSetNode | None) -> Shape:
        """Fields, aliases and depth once every spread is replaced by its fragment."""
        fields = aliases = depth = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                under = self.shape(selection.selection_set)
                fields += 1 + under.fields
                aliases += (selection.alias is not None) + under.aliases
                if not selection.name.value.startswith("__"):  # introspection is cheap, and deep
                    depth = max(depth, 1 + under.depth)
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = self.shape(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in self._shapes:
                    self._shapes[name] = Shape(0, 0, 0)  # a cycle (refused by validation) counts nothing
                    fragment = self._fragment(selection)
                    self._shapes[name] = self.shape(fragment.selection_set if fragment else None)
                inner = self._shapes[name]
            else:
                continue
            fields += inner.fields
            aliases += inner.aliases
            depth = max(depth, inner.depth)
        return Shape(fields, aliases, depth)

    def _value(self, node: ValueNode) -> Any:
        return value_from_ast_untyped(node, dict(self.variables))

    def _multiplier(self, field: FieldNode, has_page: bool) -> int | None:
        """How many objects one such field returns at most: its page size, or its id list's
        length; None for a field that returns one object."""
        for argument in field.arguments or ():
            name = argument.name.value
            if has_page and name in ("first", "last"):
                value = self._value(argument.value)
                return max(value, 0) if isinstance(value, int) else DEFAULT_PAGE_SIZE
            if name == "ids":
                value = self._value(argument.value)
                return len(value) if isinstance(value, list) else 1
        return DEFAULT_PAGE_SIZE if has_page else None

    def cost(self, parents: ParentTypes, selection_set: SelectionSetNode | None) -> int:
        """Cost of a selection set under one parent object (it scales linearly with the number
        of parents, which the caller multiplies in)."""
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self._field_cost(parents, selection)
            elif isinstance(selection, InlineFragmentNode):
                total += self.cost(parents, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                key = (selection.name.value, tuple(t.name for t in parents))
                if key not in self._costs:
                    self._costs[key] = 0
                    fragment = self._fragment(selection)
                    self._costs[key] = self.cost(parents, fragment.selection_set if fragment else None)
                total += self._costs[key]
        return total

    def _field_cost(self, parents: ParentTypes, field: FieldNode) -> int:
        definition = next((t.fields[field.name.value] for t in parents if field.name.value in t.fields), None)
        if definition is None or field.selection_set is None:
            return 0
        child = get_named_type(definition.type)
        children: ParentTypes = ()
        if isinstance(child, GraphQLObjectType | GraphQLInterfaceType):
            children = (child,)
            if isinstance(child, GraphQLInterfaceType):
                children += tuple(self.schema.get_possible_types(child))
        size = self._multiplier(field, "first" in definition.args)
        under = self.cost(children, field.selection_set)
        return under if size is None else size + size * under


def _selections(selection_set: SelectionSetNode | None) -> Iterator[FieldNode]:
    """Every field node written in a selection set (fragments are walked where defined)."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection
            yield from _selections(selection.selection_set)
        elif isinstance(selection, InlineFragmentNode):
            yield from _selections(selection.selection_set)


def _check_value(value: Any, where: str, limits: QueryLimits, search: bool, depth: int = 0) -> None:
    """Refuses an input too deep, a list too long, a string too long or one holding a character
    Postgres cannot store (NUL) or that is not text (a lone surrogate)."""
    if depth > limits.max_input_depth:
        raise LimitError(
            f"{where} is nested more than {limits.max_input_depth} levels deep",
            "INPUT_TOO_DEEP",
            limit=limits.max_input_depth,
        )
    if isinstance(value, list):
        if len(value) > limits.max_list_items:
            raise LimitError(
                f"{where} has {len(value)} items; a list input may hold at most {limits.max_list_items}",
                "LIST_TOO_LONG",
                limit=limits.max_list_items,
                items=len(value),
            )
        for index, item in enumerate(value):
            _check_value(item, f"{where}[{index}]", limits, search, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(
                item, f"{where}.{shown(str(key), 40)}", limits, search or key in _SEARCH_ARGUMENTS, depth + 1
            )
    elif isinstance(value, str):
        _check_string(value, where, limits, search)


def _check_string(value: str, where: str, limits: QueryLimits, search: bool) -> None:
    cap = limits.max_search_chars if search else limits.max_string_chars
    if len(value) > cap:
        kind = "a search string" if search else "a string input"
        raise LimitError(
            f"{where} is {len(value)} characters long; {kind} may have at most {cap}",
            "STRING_TOO_LONG",
            limit=cap,
            length=len(value),
        )
    if "\x00" in value:
        raise LimitError(
            f"{where} contains a NUL character (U+0000), which no field accepts", "BAD_USER_INPUT"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise LimitError(
            f"{where} contains a lone surrogate: it is not valid Unicode text", "BAD_USER_INPUT"
        ) from None


def _literal(node: ValueNode) -> Any:
    """A literal as the checks see it: lists and objects kept, variables left out (they are
    checked as variables)."""
    if isinstance(node, ListValueNode):
        return [_literal(v) for v in node.values]
    if isinstance(node, ObjectValueNode):
        return {f.name.value: _literal(f.value) for f in node.fields}
    if isinstance(node, StringValueNode):
        return node.value
    if isinstance(node, IntValueNode | FloatValueNode | BooleanValueNode | EnumValueNode | NullValueNode):
        return None
    return None  # a variable


def check_inputs(
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    limits: QueryLimits,
) -> None:
    """Raises a LimitError for the first input, inline or in a variable, that breaks a limit."""
    for name, value in (variables or {}).items():
        _check_value(value, f"variable ${shown(str(name), 40)}", limits, name in _SEARCH_ARGUMENTS)
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            continue
        for variable in getattr(definition, "variable_definitions", None) or ():
            if variable.default_value is not None:
                where = f"the default of ${variable.variable.name.value}"
                _check_value(_literal(variable.default_value), where, limits, False)
        for field in _selections(definition.selection_set):
            for argument in field.arguments or ():
                if isinstance(argument.value, VariableNode):
                    continue
                where = f"argument `{argument.name.value}` of `{field.name.value}`"
                search = argument.name.value in _SEARCH_ARGUMENTS
                _check_value(_literal(argument.value), where, limits, search)


def _with_defaults(operation: OperationDefinitionNode, variables: Mapping[str, Any] | None) -> dict[str, Any]:
    """The variables as the operation will see them: given values, else their defaults."""
    given = dict(variables or {})
    for variable in operation.variable_definitions or ():
        name = variable.variable.name.value
        if name not in given and variable.default_value is not None:
            given[name] = value_from_ast_untyped(variable.default_value)
    return given


def shape_error(shape: Shape, limits: QueryLimits) -> LimitError | None:
    """The limit an operation's shape breaks first (size, then aliases, then depth), if any."""
    if shape.fields > limits.max_expanded_fields:
        return LimitError(
            f"the query selects {shape.fields} fields once its fragments are expanded, over the limit "
            f"of {limits.max_expanded_fields}",
            "QUERY_TOO_LARGE",
            fields=shape.fields,
            limit=limits.max_expanded_fields,
        )
    if shape.aliases > limits.max_aliases:
        return LimitError(
            f"{shape.aliases} aliases found. Allowed: {limits.max_aliases}",
            "QUERY_TOO_MANY_ALIASES",
            aliases=shape.aliases,
            limit=limits.max_aliases,
        )
    if shape.depth > limits.max_depth:
        return LimitError(
            f"query depth {shape.depth} exceeds the limit of {limits.max_depth}",
            "QUERY_TOO_DEEP",
            depth=shape.depth,
            limit=limits.max_depth,
        )
    return None


def shape_rule(limits: QueryLimits) -> type[ValidationRule]:
    """The size, alias and depth limits as a validation rule run beside graphql-core's own: they
    read the document alone (not its variables), so each document is measured once, when it is
    validated, and its verdict is kept with the validation's. Every operation of the document is
    held to them, not only the one a request names."""

    class ShapeLimits(ValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> VisitorAction:
            fragments = {d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)}
            analysis = _Analysis(self.context.schema, fragments, {})
            for definition in node.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    error = shape_error(analysis.shape(definition.selection_set), limits)
                    if error is not None:
                        self.report_error(error)
            return SKIP  # nothing below the document is visited for this rule

    return ShapeLimits


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    limits: QueryLimits,
) -> int:
    """The operation's cost (which reads its page sizes and id lists, from the variables too);
    raises a LimitError past the cost limit (0 for an operation it cannot find). Its size, aliases
    and depth are the validation rule's (`shape_rule`)."""
    operation, fragments = _operation(document, operation_name)
    if operation is None or schema.query_type is None:
        return 0
    analysis = _Analysis(schema, fragments, _with_defaults(operation, variables))
    cost = analysis.cost((schema.query_type,), operation.selection_set)
    if cost > limits.max_cost:
        raise LimitError(
            f"query cost {cost} exceeds the limit of {limits.max_cost}: each connection's "
            f"`first`/`last` (default {DEFAULT_PAGE_SIZE}) and each list of ids multiplies the cost "
            "of what is selected under it; ask for smaller pages",
            "QUERY_TOO_COSTLY",
            cost=cost,
            limit=limits.max_cost,
        )
    return cost
