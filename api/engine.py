"""The one execution path both faces share: an operation run through the schema within the
request's deadline, the release tag answers are keyed by, and the response cache and ETag rules.

GraphQL over HTTP (api/graphql_http.py) and REST (api/rest/) both answer through an `Engine`,
so a limit, a deadline, a cache rule or an optimisation of the executor serves both.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response

from api import metrics
from api.background import within
from api.release_tag import ReleaseTag
from api.settings import Settings
from schema.bounded import BoundedCache
from schema.build import DetenteSchema
from schema.context import new_context

logger = logging.getLogger("detente.http")

CACHE_CONTROL_GET = "public, max-age=60, stale-while-revalidate=600"

Answer = tuple[Any, list[GraphQLError]]


@dataclass(frozen=True)
class Kept:
    """An error-free answer kept in the response cache, with the headers it was sent with."""

    etag: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {t.strip().removeprefix("W/") for t in header.split(",")[:50]}


def not_modified(etag: str) -> Response:
    return Response(status_code=304, headers={"etag": etag, "cache-control": CACHE_CONTROL_GET})


class Engine:
    """The schema, the release tag and the response cache of one app."""

    def __init__(self, schema: DetenteSchema, release_tag: ReleaseTag, settings: Settings) -> None:
        self.schema = schema
        self.release_tag = release_tag
        self.settings = settings
        self._cache: BoundedCache[str, Kept] = BoundedCache(
            settings.response_cache_entries, settings.response_cache_bytes, "rest_response"
        )

    async def tag(self, request: Request) -> str:
        """The loaded release's content hash (what cached answers are keyed by)."""
        return await self.release_tag.current(request.state.pool, self.settings.pool_timeout_ms / 1000)

    @staticmethod
    def cache_key(tag: str, *parts: Any) -> str:
        raw = orjson.dumps([tag, *parts], option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(raw).hexdigest()

    def cached(self, key: str) -> Kept | None:
        """The answer kept for a key, if any."""
        return self._cache.get(key)

    def keep(self, key: str, tag: str, body: bytes, headers: dict[str, str] | None = None) -> str:
        """Keeps an error-free answer and returns its ETag: of the bytes sent and the release they
        come from, so equal only for an equal answer. Never call it for an answer with errors."""
        etag = f'"{hashlib.sha256(tag.encode() + body).hexdigest()[:32]}"'
        extra = headers or {}
        size = len(body) + len(key) + sum(len(k) + len(v) for k, v in extra.items())
        self._cache.put(key, Kept(etag, body, extra), size)
        return etag

    async def execute(
        self,
        request: Request,
        query: str | None,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        route: str = "/graphql",
    ) -> Answer | None:
        """Runs the operation within the request's deadline; None when it ran out of time.

        The operation runs as its own task and the answer does not wait for its cancellation to
        finish: asyncpg cancels a running statement by a message to the server, and a frozen
        server would otherwise hold the answer for as long as it is frozen."""
        context = new_context(request.state.pool, request_id(request), request.state.lookup_pool)
        work = self.schema.execute(
            query, variable_values=variables, context_value=context, operation_name=operation_name
        )
        try:
            result = await within(work, self.settings.request_timeout_ms / 1000)
        except TimeoutError:
            logger.warning(
                "request deadline passed",
                extra={"request_id": request_id(request), "deadline_ms": self.settings.request_timeout_ms},
            )
            return None
        metrics.EXECUTIONS.labels(context.executor).inc()
        if context.statement_timeouts:
            metrics.STATEMENT_TIMEOUTS.labels(route).inc(context.statement_timeouts)
        return result.data, list(result.errors or [])

    def deadline_message(self) -> str:
        return (
            f"the request did not finish within its deadline of {self.settings.request_timeout_ms} ms "
            "and was stopped; ask for less, or try again"
        )
