"""Runs a GraphQL document for a REST route: the same schema, executor, limits, deadline and
errors as /graphql; a GraphQL error becomes a problem+json answer with the same code."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import asyncpg
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response

from api.background import within
from api.problems import problem
from api.release_tag import ReleaseTag
from api.settings import Settings
from schema.build import DetenteSchema
from schema.context import new_context

logger = logging.getLogger("detente.rest")

CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=600"

# GraphQL codes that are not the client's mistake keep their own status; every other is a 400.
_STATUS = {"NOT_FOUND": 404, "INTERNAL_SERVER_ERROR": 500}


class Failed(Exception):
    """The answer to send instead (a problem)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def unavailable(request: Request) -> Failed:
    return Failed(
        problem(
            request,
            503,
            "SERVICE_UNAVAILABLE",
            "The database is unavailable; try again shortly.",
            {"retry-after": "2"},
        )
    )


class Executor:
    def __init__(
        self, schema: DetenteSchema, settings: Settings, release_tag: ReleaseTag | None = None
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.release_tag = release_tag or ReleaseTag()

    async def tag(self, request: Request) -> str:
        """The loaded release's content hash (ETags are of it and the bytes sent)."""
        try:
            return await self.release_tag.current(request.state.pool, self.settings.pool_timeout_ms / 1000)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            raise unavailable(request) from None

    async def data(self, request: Request, document: str, variables: dict[str, Any] | None = None) -> Any:
        """The `data` of the document's answer; raises Failed with the problem for any error."""
        context = new_context(request.state.pool, _request_id(request), request.state.lookup_pool)
        work = self.schema.execute(document, variable_values=variables, context_value=context)
        try:
            result = await within(work, self.settings.request_timeout_ms / 1000)
        except TimeoutError:
            raise Failed(
                problem(
                    request,
                    504,
                    "REQUEST_TIMEOUT",
                    f"the request did not finish within its deadline of {self.settings.request_timeout_ms} "
                    "ms and was stopped; ask for less, or try again",
                )
            ) from None
        if result.errors:
            raise Failed(self._problem(request, result.errors))
        return result.data

    @staticmethod
    def _problem(request: Request, errors: list[GraphQLError]) -> Response:
        first = errors[0]
        code = str((first.extensions or {}).get("code", "INTERNAL_SERVER_ERROR"))
        if code == "INTERNAL_SERVER_ERROR" and _database_gone(errors):
            return unavailable(request).response
        return problem(request, _STATUS.get(code, 400), code, first.message)


def _database_gone(errors: list[GraphQLError]) -> bool:
    return any(
        isinstance(
            e.original_error,
            OSError | TimeoutError | asyncpg.InterfaceError | asyncpg.PostgresConnectionError,
        )
        for e in errors
    )


def cached(
    request: Request, tag: str, body: bytes, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    """A successful GET answer with its ETag and Cache-Control; 304 when the client has it."""
    etag = f'"{hashlib.sha256(tag.encode() + body).hexdigest()[:32]}"'
    common = {"etag": etag, "cache-control": CACHE_CONTROL, **(headers or {})}
    sent = request.headers.get("if-none-match") or ""
    if etag in {t.strip().removeprefix("W/") for t in sent.split(",")[:50]}:
        return Response(status_code=304, headers=common)
    return Response(b"" if request.method == "HEAD" else body, media_type=media_type, headers=common)
