"""Builds the strawberry Schema: types, guardrail extensions and error masking."""

from __future__ import annotations

import logging
from pathlib import Path

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
)
from strawberry.types import ExecutionContext

from schema.actors import Actor
from schema.compiled.executor import CompiledExecutor
from schema.cost import CostLimiter
from schema.errors import MASKED_MESSAGE, PublicError
from schema.events import Event
from schema.metrics import Metric, Observation
from schema.policies import Policy
from schema.query import Query
from schema.sources import Source
from schema.topics import Topic

SDL_PATH = Path(__file__).parent / "schema.graphql"
MAX_ALIASES = 30
MAX_TOKENS = 2000

logger = logging.getLogger("detente.graphql")


def _is_public(error: GraphQLError) -> bool:
    # Syntax and validation errors carry no original error; ours carry a PublicError.
    return error.original_error is None or isinstance(error.original_error, PublicError)


class DetenteSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = execution_context.context if execution_context else None
        request_id = getattr(context, "request_id", "-")
        for error in errors:
            if _is_public(error):
                logger.info("client error", extra={"request_id": request_id, "error": error.message})
            else:
                logger.error(
                    "resolver error",
                    exc_info=error.original_error,
                    extra={"request_id": request_id, "path": error.path},
                )


def build_schema(*, compiled: bool = True) -> strawberry.Schema:
    """The schema; `compiled=False` leaves every query to graphql-core's general executor
    (the reference the compiled executor is tested against)."""
    return DetenteSchema(
        query=Query,
        types=[Event, Policy, Actor, Metric, Source, Topic, Observation],
        extensions=[
            lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: ParserCache(maxsize=1024),
            CostLimiter,
            lambda: MaskErrors(should_mask_error=lambda e: not _is_public(e), error_message=MASKED_MESSAGE),
        ],
        execution_context_class=CompiledExecutor if compiled else None,
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
