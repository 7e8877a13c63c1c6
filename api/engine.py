"""The one execution path both faces share: an operation run through the schema within the
request's deadline and charged to the client's rate limit, the release tag answers are keyed by,
and the response cache (shared through Redis when `REDIS_URL` is set) with its ETag rules.

GraphQL over HTTP (api/graphql_http.py) and REST (api/rest/, api/rest_files/) both answer through
an `Engine`, so a limit, a deadline, a rate limit, a cache rule or an optimisation of the executor
serves both.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import xxhash
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response

from api import metrics
from api.background import within
from api.cdn import cdn_headers
from api.compression import add_vary, coded_etag, encode, is_text, negotiate
from api.middleware import request_id
from api.ratelimit import Quota, RateLimiter
from api.release_tag import ReleaseTag
from api.settings import Settings
from api.shared_cache import KEPT, Kept, ResponseCache, SharedCache
from schema.bounded import BoundedCache
from schema.build import DetenteSchema
from schema.context import new_context

logger = logging.getLogger("detente.http")

CACHE_CONTROL_GET = "public, max-age=60, stale-while-revalidate=600"
# What both faces say when the database does not answer (503, code SERVICE_UNAVAILABLE).
UNAVAILABLE_MESSAGE = "The database is unavailable; try again shortly."
RETRY_AFTER_S = "2"

Answer = tuple[Any, list[GraphQLError]]


def etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {t.strip().removeprefix("W/") for t in header.split(",")[:50]}


def etag_of(tag: str, body: bytes) -> str:
    """Of the bytes sent and the release they come from: equal only for an equal answer.

    XXH3-128, not SHA-256: ~25x faster (a 124 KB page: 0.003 ms against 0.088), and a tag needs
    no collision resistance against an adversary. The bodies are the release's answers, and a
    client only ever compares a tag with one this service gave it for the same URL and release.
    The cache key (`cache_key`), which a crafted query could aim at, stays SHA-256."""
    digest = xxhash.xxh3_128(tag.encode())
    digest.update(body)  # not `tag + body`: that copies the body
    return f'"{digest.hexdigest()}"'


def local_responses(settings: Settings) -> ResponseCache:
    """A response cache in this process alone (no Redis)."""
    return ResponseCache(
        SharedCache(
            "responses",
            BoundedCache(settings.response_cache_entries, settings.response_cache_bytes, "response"),
            codec=KEPT,
        )
    )


class RateLimited(Exception):
    """The client's budget does not cover the request; `quota` says by how much and until when."""

    def __init__(self, quota: Quota) -> None:
        super().__init__(quota.points)
        self.quota = quota


class Engine:
    """The schema, the release tag, the response cache and the rate limiter of one app."""

    def __init__(
        self,
        schema: DetenteSchema,
        release_tag: ReleaseTag,
        settings: Settings,
        responses: ResponseCache | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.schema = schema
        self.release_tag = release_tag
        self.settings = settings
        self.responses = responses or local_responses(settings)
        self.limiter = limiter

    async def tag(self, request: Request) -> str:
        """The loaded release's content hash and day (what cached answers are keyed by)."""
        return await self.release_tag.current(request.state.pool, self.settings.pool_timeout_ms / 1000)

    # -- the response cache

    @staticmethod
    def cache_key(tag: str, *parts: Any) -> str:
        """Keyed by release, so entries of a release no longer loaded are never read again."""
        raw = orjson.dumps([tag, *parts], option=orjson.OPT_SORT_KEYS)
        return f"{tag[:16]}:{hashlib.sha256(raw).hexdigest()}"

    async def cached(self, key: str) -> tuple[Kept | None, str]:
        """The answer kept for a key, if any, and where it was found (local, shared or miss)."""
        return await self.responses.get(key)

    async def keep(self, key: str, kept: Kept) -> None:
        """Keeps an error-free answer. Never call it for an answer with errors: one may be
        transient (an outage, a deadline), and is never kept, public or validated by an ETag."""
        await self.responses.put(key, kept)

    async def answer_get(
        self,
        request: Request,
        key_parts: tuple[Any, ...],
        build: Callable[[], Awaitable[tuple[bytes, dict[str, str]]]],
        media_type: str,
    ) -> Response:
        """A cacheable GET answer: from the response cache when it holds one for this release,
        these `key_parts` and the content coding the client takes, else `build()` (the body and
        its headers; it raises for an answer that is not a success, which is then never kept),
        coded (brotli or gzip, past COMPRESSION_MIN_BYTES) before it is kept, as GraphQL GETs are:
        a hit costs no compression. With its ETag (304 when the client has it), Cache-Control,
        the surrogate keys naming the release, and where it was found (`Detente-Cache`: local,
        shared or miss)."""
        tag = await self.tag(request)
        coding = negotiate(request.headers.get("accept-encoding"))
        key = self.cache_key(tag, *key_parts, coding)
        kept, where = await self.cached(key)
        if kept is None:
            body, extra = await build()
            extra = dict(extra)
            sent_coding = None
            if is_text(media_type):
                add_vary(extra, "accept-encoding")
                if coding is not None and len(body) >= self.settings.compression_min_bytes:
                    sent_coding = coding
            # A coded answer is another representation, with its own tag (RFC 9110 §8.8.3).
            etag = coded_etag(etag_of(tag, body), sent_coding)
            if sent_coding is not None:
                body = encode(body, sent_coding)
                extra["content-encoding"] = sent_coding
            kept = Kept(etag, body, extra)
            await self.keep(key, kept)
        headers = {
            **kept.headers,
            "etag": kept.etag,
            "cache-control": CACHE_CONTROL_GET,
            **cdn_headers(tag, pinned=False),
            "detente-cache": where,
        }
        if kept.etag in etags(request.headers.get("if-none-match")):
            headers.pop("content-encoding", None)
            return Response(status_code=304, headers=headers)
        body = b"" if request.method == "HEAD" else kept.body
        return Response(body, media_type=media_type, headers=headers)

    # -- rate limits

    def cost(self, query: str, variables: dict[str, Any] | None, operation_name: str | None) -> int:
        """What running the query spends of a rate limit: its cost, at least 1."""
        documents = self.schema.documents
        try:
            document = documents.parse(query)
            cost = documents.checked_cost(self.schema._schema, query, document, variables, operation_name)
        except (GraphQLError, RecursionError):
            # The guard refuses it (unparsable, or over a limit such as QUERY_TOO_COSTLY, which a
            # rate limit must not hide): it costs what any refused request does.
            return 1
        return max(cost, 1)

    async def charge(self, request: Request, points: int) -> None:
        """Charges the request's client (`request.state.client`, set by the face) `points` more;
        raises RateLimited, charging nothing, when its budget does not cover them. A request may
        be charged several times (a stream, page by page); `request.state.quota` is the last."""
        client = getattr(request.state, "client", None)
        if self.limiter is None or client is None:
            return
        quota = await self.limiter.spend(client, points)
        request.state.quota = quota
        if not quota.allowed:
            raise RateLimited(quota)

    async def settle(self, request: Request) -> None:
        """Charges 1 to a request that ran nothing (a cached answer, a 304, a refusal): every
        answer is counted."""
        if getattr(request.state, "quota", None) is None:
            await self.charge(request, 1)

    @staticmethod
    def quota(request: Request) -> Quota | None:
        found: Quota | None = getattr(request.state, "quota", None)
        return found

    async def execute(
        self,
        request: Request,
        query: str | None,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        route: str = "/graphql",
    ) -> Answer | None:
        """Runs the operation within the request's deadline, charged its cost (RateLimited when
        the client's budget does not cover it); None when it ran out of time.

        The operation runs as its own task and the answer does not wait for its cancellation to
        finish: asyncpg cancels a running statement by a message to the server, and a frozen
        server would otherwise hold the answer for as long as it is frozen."""
        if query is not None and self.limiter is not None:
            await self.charge(request, self.cost(query, variables, operation_name))
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
            metrics.DEADLINES.labels(route).inc()
            return None
        metrics.child(metrics.EXECUTIONS, context.executor).inc()
        if context.statement_timeouts:
            metrics.STATEMENT_TIMEOUTS.labels(route).inc(context.statement_timeouts)
        return result.data, list(result.errors or [])

    def deadline_message(self) -> str:
        return (
            f"the request did not finish within its deadline of {self.settings.request_timeout_ms} ms "
            "and was stopped; ask for less, or try again"
        )
