"""The hook into graphql-core: queries that compile run as plans, everything else as before.

Parsing, validation, the cost and depth limits and error masking all still happen in
strawberry; only the execution of the root fields is swapped. A plan that meets anything it
does not serve while running (a bad cursor, an unknown slug in a filter, an Observation behind
`node`) hands the whole operation back to the general executor, which reports errors with their
paths exactly as it always has. Reads have no side effects, so running again is safe. The one
exception is a statement that ran out of time: that is answered at once (masked, like any
internal error), not run again for as long.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import asyncpg
from graphql import GraphQLError, GraphQLObjectType, GraphQLSchema, OperationDefinitionNode
from graphql.execution.collect_fields import DeferUsage, GroupedFieldSet
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.bounded import BoundedCache
from schema.compiled.plan import OperationPlan, compile_operation
from schema.compiled.run import Runner
from schema.context import Context
from schema.limits import AST_BYTES_PER_CHAR, DEFAULT_LIMITS, QueryLimits

logger = logging.getLogger("detente.compiled")


@dataclass
class PlanStats:
    """How many operations ran as plans, and how many went back to the general executor."""

    compiled: int = 0
    fell_back: int = 0
    timed_out: int = 0


STATS = PlanStats()


class _Plans:
    """Plans by operation. The parser cache hands back the same document object for the same
    query text, so the operation node identifies the query; the node is kept with its plan so
    that its id cannot be reused while the entry lives (and weighs as its document does)."""

    def __init__(self, limits: QueryLimits) -> None:
        self.entries: BoundedCache[int, tuple[OperationDefinitionNode, OperationPlan | None]] = BoundedCache(
            limits.document_cache_entries, limits.document_cache_bytes, "plan"
        )

    def get(self, operation: OperationDefinitionNode) -> tuple[bool, OperationPlan | None]:
        entry = self.entries.get(id(operation))
        if entry is None or entry[0] is not operation:
            return False, None
        return True, entry[1]

    def put(self, operation: OperationDefinitionNode, plan: OperationPlan | None) -> None:
        text = len(operation.loc.source.body) if operation.loc else 1_000
        self.entries.put(id(operation), (operation, plan), text * AST_BYTES_PER_CHAR)


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


class CompiledExecutor(StrawberryGraphQLCoreExecutionContext):
    def execute_collected_root_fields(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: GroupedFieldSet,
        serially: bool,
        new_defer_usages: Sequence[DeferUsage],
    ) -> Any:
        plan = None
        if not serially and not new_defer_usages and isinstance(self.context_value, Context):
            plans = _plans(self.schema)
            known, plan = plans.get(self.operation)
            if not known:
                plan = compile_operation(
                    self.schema, self.fragments, self.variable_values, self.operation, grouped_field_set
                )
                plans.put(self.operation, plan)
        if plan is None:
            if isinstance(self.context_value, Context):
                self.context_value.executor = "general"
            return super().execute_collected_root_fields(
                root_type, root_value, grouped_field_set, serially, new_defer_usages
            )
        return self._run(plan, root_type, root_value, grouped_field_set, new_defer_usages)

    async def _run(
        self,
        plan: OperationPlan,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: GroupedFieldSet,
        new_defer_usages: Sequence[DeferUsage],
    ) -> Any:
        assert isinstance(self.context_value, Context)
        try:
            data = await Runner(self.schema, self.context_value, self.variable_values).run(plan)
        except asyncpg.QueryCanceledError as error:
            # Out of time (statement_timeout): the general executor would only wait as long again.
            STATS.timed_out += 1
            raise GraphQLError(str(error), path=[plan.roots[0].key], original_error=error) from error
        except Exception as error:  # every failure is answered by the general executor
            STATS.fell_back += 1
            self.context_value.executor = "fallback"
            logger.debug("plan handed back: %s", type(error).__name__)
            result = super().execute_collected_root_fields(
                root_type, root_value, grouped_field_set, False, new_defer_usages
            )
            if isinstance(result, Awaitable):
                return await result
            return result
        STATS.compiled += 1
        self.context_value.executor = "compiled"
        return data
