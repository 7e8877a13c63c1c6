"""Builds the strawberry Schema: types, guardrail extensions and error masking."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import asyncpg
import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext as StrawberryExecutionContext
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from schema.actors import Actor
from schema.compiled.executor import CompiledExecutor, bound_plan_cache
from schema.context import Context
from schema.errors import CodedErrors, is_public
from schema.events import Event
from schema.execution import run_operation
from schema.guards import Documents, RequestGuard
from schema.limits import DEFAULT_LIMITS, QueryLimits
from schema.metrics import Metric, Observation
from schema.policies import Policy
from schema.query import Query
from schema.scalars import SCALAR_OVERRIDES
from schema.sources import Source
from schema.topics import Topic

SDL_PATH = Path(__file__).parent / "schema.graphql"

logger = logging.getLogger("detente.graphql")


class DetenteSchema(strawberry.Schema):
    documents: Documents

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """The operation run by schema/execution.py, or by strawberry's own path for what that
        does not take on."""
        if query is not None and root_value is None and allowed_operation_types is None:
            result = await run_operation(self, query, variable_values, operation_name, context_value)
            if result is not None:
                return result
        return await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )

    def process_errors(
        self, errors: list[GraphQLError], execution_context: StrawberryExecutionContext | None = None
    ) -> None:
        self.log_errors(errors, execution_context.context if execution_context else None)

    @staticmethod
    def log_errors(errors: list[GraphQLError], context: object) -> None:
        """Logs each error before it is masked: a client error at INFO, any other at ERROR with
        its traceback; counts the statements Postgres cancelled."""
        request_id = getattr(context, "request_id", "-")
        for error in errors:
            if isinstance(error.original_error, asyncpg.QueryCanceledError) and isinstance(context, Context):
                context.statement_timeouts += 1
            if is_public(error):
                logger.info("client error", extra={"request_id": request_id, "error": error.message})
            else:
                logger.error(
                    "resolver error",
                    exc_info=error.original_error,
                    extra={"request_id": request_id, "path": error.path},
                )


def build_schema(limits: QueryLimits = DEFAULT_LIMITS, *, compiled: bool = True) -> DetenteSchema:
    """The schema; `compiled=False` leaves every query to graphql-core's general executor
    (the reference the compiled executor is tested against)."""
    documents = Documents(limits)
    schema = DetenteSchema(
        query=Query,
        types=[Event, Policy, Actor, Metric, Source, Topic, Observation],
        extensions=[
            lambda: RequestGuard(documents),
            CodedErrors,
        ],
        execution_context_class=CompiledExecutor if compiled else None,
        scalar_overrides=SCALAR_OVERRIDES,
    )
    schema.documents = documents
    bound_plan_cache(schema._schema, limits)
    return schema


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
