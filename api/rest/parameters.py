"""Query parameters derived from a GraphQL field's arguments, and query strings turned into its
variables: one definition (the schema's filter inputs and order enums), two faces.

A filter's fields become parameters in snake_case (`involvesUsAndChina` -> `involves_us_and_china`);
a nested range becomes one parameter per end (`date: {from, to}` -> `date_from`, `date_to`;
`significance: {min, max}` -> `significance_min`, `significance_max`); a list takes
comma-separated values; the order enum becomes `order` (`SIGNIFICANCE_DESC` -> `-significance`,
`DATE_ASC` -> `date`). The recursive `and`/`or`/`not` have no flat form: use GraphQL for those.
Values are handed to GraphQL as given, so a bad one fails with GraphQL's own message and code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
)

PAGING_ARGUMENTS = {"first", "after", "last", "before"}
MAX_PAGE = 100
LIMIT_ALL = "all"
_INTEGER = re.compile(r"[+-]?\d{1,18}")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class ParameterError(Exception):
    """A query string the route cannot take; `code` is the stable code of the answer."""

    def __init__(self, detail: str, code: str = "BAD_REQUEST", **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.extra = extra


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def order_token(value: str) -> str:
    """`SIGNIFICANCE_DESC` -> `-significance`, `DATE_ASC` -> `date`, `NAME_ASC` -> `name`."""
    base, _, direction = value.rpartition("_")
    if direction not in ("ASC", "DESC") or not base:
        return value.lower()
    return ("-" if direction == "DESC" else "") + base.lower()


@dataclass(frozen=True)
class Parameter:
    """One query parameter: where its value goes in the variables, and its GraphQL input type."""

    name: str
    path: tuple[str, ...]  # variable, then input fields: ("filter", "date", "from")
    type: GraphQLNamedType  # the scalar or enum each value is
    is_list: bool
    required: bool
    description: str
    order: dict[str, str] = field(default_factory=dict)  # for `order`: token -> enum value

    def values(self) -> list[str]:
        """The allowed values (enums and `order`), in schema order."""
        if self.order:
            return list(self.order)
        if isinstance(self.type, GraphQLEnumType):
            return list(self.type.values)
        return []


@dataclass(frozen=True)
class Variable:
    """A variable of a route's document: `$filter: EventFilter`."""

    name: str
    type: str  # as written in the document


def _is_list(type_: GraphQLInputType) -> bool:
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    return isinstance(inner, GraphQLList)


def _described(description: str | None) -> str:
    return (description or "").strip()


def _filter_parameters(input_type: GraphQLInputObjectType, variable: str) -> list[Parameter]:
    found: list[Parameter] = []
    for name, input_field in input_type.fields.items():
        named = get_named_type(input_field.type)
        if named is input_type:
            continue  # and / or / not: no flat form
        if isinstance(named, GraphQLInputObjectType):
            for sub_name, sub in named.fields.items():
                found.append(
                    Parameter(
                        name=f"{snake(name)}_{snake(sub_name)}",
                        path=(variable, name, sub_name),
                        type=get_named_type(sub.type),
                        is_list=_is_list(sub.type),
                        required=False,
                        description=f"{_described(input_field.description)} "
                        f"{_described(sub.description)}".strip(),
                    )
                )
            continue
        found.append(
            Parameter(
                name=snake(name),
                path=(variable, name),
                type=named,
                is_list=_is_list(input_field.type),
                required=False,
                description=_described(input_field.description),
            )
        )
    return found


@dataclass(frozen=True)
class Signature:
    """The parameters of one GraphQL field, as a REST route takes them."""

    parameters: tuple[Parameter, ...]
    variables: tuple[Variable, ...]
    arguments: tuple[str, ...]  # GraphQL argument names the field is called with
    paged: bool
    path_arguments: tuple[str, ...] = ()

    def by_name(self) -> Mapping[str, Parameter]:
        return self._by_name

    @cached_property
    def _by_name(self) -> Mapping[str, Parameter]:
        """Built once: a route reads it on every request."""
        return MappingProxyType({p.name: p for p in self.parameters})

    @cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters if p.required)


RENAMES = {"query": "q"}  # search's argument, as search pages have it


def signature(gql_field: GraphQLField, path_arguments: Sequence[str] = ()) -> Signature:
    """The parameters of a field: its filter's fields, its order, its scalar arguments, paging."""
    parameters: list[Parameter] = []
    variables: list[Variable] = []
    arguments: list[str] = []
    paged = False
    filter_has_search = any(
        "search" in t.fields
        for t in (get_named_type(a.type) for a in gql_field.args.values())
        if isinstance(t, GraphQLInputObjectType)
    )
    for name, argument in gql_field.args.items():
        if name in ("last", "before"):
            continue
        if name == "search" and filter_has_search:
            continue  # the filter's own `search` is the parameter
        arguments.append(name)
        variables.append(Variable(name, str(argument.type)))
        if name in path_arguments:
            continue
        if name in PAGING_ARGUMENTS:
            paged = True
            continue
        named = get_named_type(argument.type)
        if isinstance(named, GraphQLInputObjectType):
            parameters.extend(_filter_parameters(named, name))
        elif name == "orderBy" and isinstance(named, GraphQLEnumType):
            parameters.append(_order_parameter(argument, named))
        else:
            parameters.append(
                Parameter(
                    name=RENAMES.get(name, snake(name)),
                    path=(name,),
                    type=named,
                    is_list=_is_list(argument.type),
                    required=isinstance(argument.type, GraphQLNonNull),
                    description=_described(argument.description),
                )
            )
    return Signature(tuple(parameters), tuple(variables), tuple(arguments), paged, tuple(path_arguments))


def field_signature(schema: GraphQLSchema, type_name: str, field_name: str) -> Signature:
    """The signature of `type_name.field_name` (a route that reads that field takes these)."""
    owner = schema.type_map[type_name]
    assert isinstance(owner, GraphQLObjectType)
    return signature(owner.fields[field_name])


def _order_parameter(argument: GraphQLArgument, enum: GraphQLEnumType) -> Parameter:
    tokens = {order_token(value): value for value in enum.values}
    descriptions = "; ".join(
        f"`{token}`: {_described(enum.values[value].description)}" for token, value in tokens.items()
    )
    return Parameter(
        name="order",
        path=("orderBy",),
        type=enum,
        is_list=False,
        required=False,
        description=f"{_described(enum.description)} {descriptions}.",
        order=tokens,
    )


def _scalar(parameter: Parameter, raw: str) -> Any:
    """A value as GraphQL's variables take it; one that does not parse is passed as the string,
    for GraphQL to refuse with its own message."""
    if isinstance(parameter.type, GraphQLScalarType):
        name = parameter.type.name
        if name == "Int" and _INTEGER.fullmatch(raw):
            return int(raw)
        if name == "Float" and _FLOAT.fullmatch(raw):
            return float(raw)
        if name == "Boolean" and raw in ("true", "false"):
            return raw == "true"
    return raw


def _set(variables: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target = variables
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def to_variables(
    sig: Signature,
    query: Sequence[tuple[str, str]],
    reserved: Mapping[str, None],
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The variables for a query string, and the reserved parameters (`limit`, `expand`…) it
    gave; unknown or repeated parameters are refused, naming them."""
    known = sig.by_name()
    given: dict[str, list[str]] = {}
    for key, value in query:
        given.setdefault(key, []).append(value)
    unknown = sorted(k for k in given if k not in known and k not in reserved)
    if unknown:
        allowed = sorted([*known, *reserved])
        raise ParameterError(
            f"unknown parameter(s): {', '.join(unknown)}; this route takes {', '.join(allowed) or 'none'}",
            parameters=unknown,
        )
    repeated = sorted(k for k, v in given.items() if len(v) > 1 and not (k in known and known[k].is_list))
    if repeated:
        raise ParameterError(f"parameter(s) given more than once: {', '.join(repeated)}", parameters=repeated)
    variables: dict[str, Any] = {}
    for name, values in given.items():
        parameter = known.get(name)
        if parameter is None:
            continue
        if parameter.order:
            token = values[0]
            if token not in parameter.order:
                raise ParameterError(
                    f"order {token[:50]!r} is not one of {', '.join(parameter.order)}",
                    "BAD_USER_INPUT",
                    parameters=[name],
                )
            _set(variables, parameter.path, parameter.order[token])
        elif parameter.is_list:
            items = [item for value in values for item in value.split(",")]
            _set(variables, parameter.path, [_scalar(parameter, item) for item in items])
        else:
            _set(variables, parameter.path, _scalar(parameter, values[0]))
    missing = [name for name in sig.required if name not in given]
    if missing:
        raise ParameterError(
            f"missing required parameter(s): {', '.join(missing)}", "BAD_USER_INPUT", parameters=missing
        )
    return variables, {k: v for k, v in given.items() if k in reserved}
