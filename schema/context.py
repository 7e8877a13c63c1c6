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


Info = _Info[Context, None]


def new_context(pool: asyncpg.Pool, request_id: str, lookup_pool: asyncpg.Pool | None = None) -> Context:
    lookups = lookup_pool or pool
    return Context(pool=pool, lookup_pool=lookups, loaders=Loaders(lookups), request_id=request_id)
