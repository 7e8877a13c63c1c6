"""The typed per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from strawberry.types import Info as _Info

from schema.loaders import Loaders


@dataclass
class Context:
    pool: asyncpg.Pool  # lists, search, aggregates
    lookup_pool: asyncpg.Pool  # lookups by keys, on generic plans (see api.database.create_pool)
    loaders: Loaders
    request_id: str
    # Which executor answered (set by schema.compiled.executor): none (nothing ran), compiled,
    # general, or fallback (a plan handed back to the general executor).
    executor: str = "none"
    statement_timeouts: int = 0  # errors that were Postgres cancelling a statement (counted before masking)


Info = _Info[Context, None]


def new_context(pool: asyncpg.Pool, request_id: str, lookup_pool: asyncpg.Pool | None = None) -> Context:
    lookups = lookup_pool or pool
    return Context(pool=pool, lookup_pool=lookups, loaders=Loaders(lookups), request_id=request_id)
