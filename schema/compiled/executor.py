"""Running plans: the plan cache, `run_plan`, and the hook into graphql-core's executor that
compiles an operation's plan on its first run (schema/execution.py runs known plans directly).

Parsing, validation, the cost and depth limits and error masking happen before
(schema/execution.py); only the execution of the root fields is swapped. A plan answers client errors in
root fields' arguments itself (a bad cursor, a page too large, an unknown slug in a filter, a
malformed node ID), through graphql-core's own `handle_field_error`, so their messages, paths
and null propagation are the general executor's. An unexpected exception is an internal error:
logged at ERROR with the request id, masked for the client, never run a second time.

Two named cases still hand the operation back to the general executor, each counted in
`STATS.fell_back` and logged at WARNING with its reason: `Unsupported` found while running (a
missing row behind a non-null link, which the foreign keys rule out) and `NestedPublicError`
(a client error below the root, which the general executor reports once per parent path; plans
do not track paths). Root fields a plan cannot serve are resolver steps (schema/compiled/plan.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import asyncpg
from graphql import GraphQLError, GraphQLObjectType, GraphQLSchema, Node, OperationDefinitionNode

from schema.bounded import BoundedCache
from schema.compiled.adapter import GroupedFieldSet, RootFieldsHook, VariableValues
from schema.compiled.plan import (
    NestedPublicError,
    OperationPlan,
    RootField,
    Unsupported,
    compile_operation,
    directive_variables,
)
from schema.compiled.run import ResolveRoot, RootError, Runner
from schema.context import Context
from schema.errors import PublicError
from schema.limits import AST_BYTES_PER_CHAR, DEFAULT_LIMITS, QueryLimits

logger = logging.getLogger("detente.compiled")


@dataclass
class PlanStats:
    """How many operations ran as plans, and how many went back to the general executor."""

    compiled: int = 0
    fell_back: int = 0
    timed_out: int = 0
    failed: int = 0  # unexpected exceptions, answered as masked internal errors


STATS = PlanStats()


# Plans of one operation for different values of its @skip/@include variables, at most.
MAX_PLANS_PER_OPERATION = 16


@dataclass
class _Entry:
    operation: OperationDefinitionNode  # kept, so that its id is not reused while the entry lives
    directive_variables: tuple[str, ...] | None  # None: a directive no plan serves
    plans: dict[tuple[Any, ...], OperationPlan | None]


class _Plans:
    """Plans by operation, and by the values of the variables its @skip/@include read. The
    parser cache hands back the same document object for the same query text, so the
    operation node identifies the query (the entry weighs as its document does)."""

    def __init__(self, limits: QueryLimits) -> None:
        self.entries: BoundedCache[int, _Entry] = BoundedCache(
            limits.document_cache_entries, limits.document_cache_bytes, "plan"
        )

    def _entry(self, operation: OperationDefinitionNode, definitions: Iterable[Node]) -> _Entry:
        entry = self.entries.get(id(operation))
        if entry is None or entry.operation is not operation:
            entry = _Entry(operation, directive_variables(definitions), {})
            text = len(operation.loc.source.body) if operation.loc else 1_000
            self.entries.put(id(operation), entry, text * AST_BYTES_PER_CHAR)
        return entry

    def get(
        self, operation: OperationDefinitionNode, definitions: Iterable[Node], variables: VariableValues
    ) -> tuple[bool, OperationPlan | None]:
        """(known, plan): whether a plan was compiled for these directive values, and it (None
        when none can be)."""
        entry = self._entry(operation, definitions)
        if entry.directive_variables is None:
            return True, None
        key = tuple(variables.coerced.get(name) for name in entry.directive_variables)
        if key in entry.plans:
            return True, entry.plans[key]
        if len(entry.plans) >= MAX_PLANS_PER_OPERATION:
            return True, None
        return False, None

    def put(
        self,
        operation: OperationDefinitionNode,
        definitions: Iterable[Node],
        variables: VariableValues,
        plan: OperationPlan | None,
    ) -> None:
        entry = self._entry(operation, definitions)
        if entry.directive_variables is not None:
            entry.plans[tuple(variables.coerced.get(name) for name in entry.directive_variables)] = plan


# Plans belong to the schema they were compiled against (tests build several).
_PLANS: WeakKeyDictionary[GraphQLSchema, _Plans] = WeakKeyDictionary()


def bound_plan_cache(schema: GraphQLSchema, limits: QueryLimits) -> None:
    """Gives the schema's plan cache the limits of its document caches."""
    _PLANS[schema] = _Plans(limits)


def _plans(schema: GraphQLSchema) -> _Plans:
    plans = _PLANS.get(schema)
    if plans is None:
        plans = _PLANS[schema] = _Plans(DEFAULT_LIMITS)
    return plans


# The database could not be reached (a pool connect timing out, a dropped connection): handed
# back like the named cases, so the general executor meets it as it always did and the request
# deadline answers 504 (tests/reliability/test_faults.py), rather than a 200 with a masked error.
_UNREACHABLE: tuple[type[Exception], ...] = (
    TimeoutError,
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    # A connection the server just terminated can still be handed out: "another operation is
    # in progress" while asyncpg consumes the FATAL message (api.database.DATABASE_ERRORS).
    asyncpg.InternalClientError,
    asyncpg.CannotConnectNowError,  # the server is starting up (after a crash, recovering)
)
_HANDED_BACK: tuple[type[Exception], ...] = (Unsupported, NestedPublicError, *_UNREACHABLE)


class HandedBack(Exception):
    """The plan gave the operation back (a named case, see the module's docstring); the general
    executor answers it."""


def known_plan(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    definitions: Iterable[Node],
    variables: VariableValues,
) -> OperationPlan | None:
    """The plan compiled for this operation (whose document's `definitions` are given) and
    these variables, if one is cached (None also when none can be)."""
    return _plans(schema).get(operation, definitions, variables)[1]


async def run_plan(
    schema: GraphQLSchema,
    plan: OperationPlan,
    context: Context,
    variables: VariableValues,
    root_error: RootError,
    resolve: ResolveRoot | None = None,
) -> dict[str, Any]:
    """The root fields' data from the plan. A client error in a root field's arguments goes to
    `root_error` (which records it, or raises the located error when the field cannot be
    null); an unexpected exception is logged and raised as an error located at the first root
    field, to be masked; raises HandedBack for the named cases."""
    try:
        data = await Runner(schema, context, variables, resolve).run(plan, root_error)
    except GraphQLError:  # a client error in a non-null root field, located by root_error
        STATS.compiled += 1
        raise
    except asyncpg.QueryCanceledError as error:
        # Out of time (statement_timeout): the general executor would only wait as long again.
        STATS.timed_out += 1
        raise GraphQLError(str(error), path=[plan.roots[0].key], original_error=error) from error
    except _HANDED_BACK as error:
        STATS.fell_back += 1
        context.executor = "fallback"
        logger.warning(
            "plan handed back to the general executor: %s: %s",
            type(error).__name__,
            error,
            extra={"request_id": context.request_id},
        )
        raise HandedBack from error
    except Exception as error:
        STATS.failed += 1
        logger.error(
            "plan failed (request %s)",
            context.request_id,
            exc_info=error,
            extra={"request_id": context.request_id},
        )
        raise GraphQLError(str(error), path=[plan.roots[0].key], original_error=error) from error
    STATS.compiled += 1
    context.executor = "compiled"
    return data


class CompiledExecutor(RootFieldsHook):
    """graphql-core's executor with the root fields run by the operation's plan (compiled on
    the operation's first run; schema/execution.py runs known plans without this executor)."""

    def run_root(self, root_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> Any:
        if not isinstance(self.context_value, Context):
            return None
        plans = _plans(self.schema)
        definitions = [self.operation, *(f.definition for f in self.fragments.values())]
        known, plan = plans.get(self.operation, definitions, self.variable_values)
        if not known:
            plan = compile_operation(
                self.schema, self.fragments, self.variable_values, self.operation, grouped_field_set
            )
            plans.put(self.operation, definitions, self.variable_values, plan)
        if plan is None:
            self.context_value.executor = "general"
            return None
        return self._run(plan, root_type, grouped_field_set)

    async def _run(
        self, plan: OperationPlan, root_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> Any:
        context = self.context_value
        assert isinstance(context, Context)

        def root_error(key: str, error: PublicError) -> None:
            self.root_field_error(root_type, grouped_field_set, key, error)

        async def resolve(root: RootField) -> Any:
            return await self.resolve_root(root_type, root.key, root.details)

        try:
            return await run_plan(self.schema, plan, context, self.variable_values, root_error, resolve)
        except HandedBack:
            return await self.general(root_type, grouped_field_set)
