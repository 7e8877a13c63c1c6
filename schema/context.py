"""The typed per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from strawberry.types import Info as _Info

from schema.loaders import Loaders


@dataclass
class Context:
    pool: asyncpg.Pool
    loaders: Loaders
    request_id: str


Info = _Info[Context, None]


def new_context(pool: asyncpg.Pool, request_id: str) -> Context:
    return Context(pool=pool, loaders=Loaders(pool), request_id=request_id)
