"""GraphQL over HTTP (the GraphQL-over-HTTP spec): GET and POST, content negotiation, status
codes, persisted queries, ETags and a response cache for GET.

Request errors (unparsable, invalid, bad variables, too costly) answer 400 without a `data` key
to clients that accept `application/graphql-response+json`, and 200 to legacy
`application/json` clients, as the spec asks.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry import Schema

from api.persisted import PersistedQueries, PersistedQueryError
from api.release_tag import ReleaseTag
from schema.context import new_context

logger = logging.getLogger("detente.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
CACHE_CONTROL_GET = "public, max-age=60, stale-while-revalidate=600"
RESPONSE_CACHE_SIZE = 2048


class _RequestError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


@lru_cache(maxsize=1024)
def _parse(query: str) -> DocumentNode | None:
    try:
        return parse(query)
    except GraphQLError:
        return None


def _operation_type(query: str, operation_name: str | None) -> OperationType | None:
    document = _parse(query)
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    for operation in operations:
        if operation_name is None or (operation.name and operation.name.value == operation_name):
            return operation.operation
    return None


def _media_type(accept: str | None) -> str | None:
    """The response type for an Accept header; None when we can serve none of its types."""
    if not accept:
        return JSON
    ranges = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        ranges.append((quality, media.lower()))
    for _, media in sorted(ranges, key=lambda r: -r[0]):
        if media == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        # Legacy clients (and */*) get application/json, as the spec's watershed rules ask.
        if media in (JSON, "*/*", "application/*"):
            return JSON
    return None


def _json_param(raw: str | None, name: str) -> Any:
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise _RequestError(400, f"`{name}` is not valid JSON") from None


class GraphQLEndpoint:
    def __init__(
        self,
        schema: Schema,
        persisted: PersistedQueries,
        release_tag: ReleaseTag,
        explorer: Callable[[], Response],
    ) -> None:
        self.schema = schema
        self.persisted = persisted
        self.release_tag = release_tag
        self.explorer = explorer  # the HTML page a browser gets (GraphiQL)
        self._cache: OrderedDict[str, tuple[int, bytes]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self._handle(request)
        except _RequestError as error:
            media = _media_type(request.headers.get("accept")) or JSON
            response = self._respond({"errors": [{"message": str(error)}]}, error.status, media)
            response.headers.update(error.headers)
        await response(scope, receive, send)

    async def _handle(self, request: Request) -> Response:
        method = request.method
        if method not in ("GET", "POST"):
            raise _RequestError(405, "GraphQL is served over GET and POST", {"allow": "GET, POST"})
        accept = request.headers.get("accept")
        wants_ide = accept is not None and "text/html" in accept
        if method == "GET" and wants_ide and not {"query", "extensions"} & set(request.query_params):
            return self.explorer()
        media = _media_type(accept)
        if media is None:
            raise _RequestError(406, f"cannot answer with any of {accept!r}; accept {GRAPHQL_RESPONSE}")

        params = await self._params(request)
        query, variables, operation_name, extensions = self._check(params)
        try:
            query = self.persisted.resolve(query, extensions)
        except PersistedQueryError as error:
            return self._respond(
                {"errors": [{"message": error.message, "extensions": {"code": error.code}}]},
                400 if media == GRAPHQL_RESPONSE and error.status == 400 else error.status,
                media,
            )

        cache_key = None
        if method == "GET":
            if _operation_type(query, operation_name) == OperationType.MUTATION:
                raise _RequestError(405, "mutations are not allowed over GET", {"allow": "POST"})
            tag = await self.release_tag.current(request.state.pool)
            raw = json.dumps([tag, query, variables, operation_name, media], sort_keys=True)
            cache_key = hashlib.sha256(raw.encode()).hexdigest()
            etag = f'"{cache_key[:32]}"'
            if etag in _etags(request.headers.get("if-none-match")):
                return Response(status_code=304, headers={"etag": etag, "cache-control": CACHE_CONTROL_GET})
            cached = self._cache.get(cache_key)
            if cached is not None:
                self._cache.move_to_end(cache_key)
                status, body = cached
                return self._raw(body, status, media, etag)

        context = new_context(request.state.pool, request.state.request_id, request.state.lookup_pool)
        result = await self.schema.execute(
            query, variable_values=variables, context_value=context, operation_name=operation_name
        )
        errors = [e.formatted for e in result.errors] if result.errors else None
        request_error = (
            bool(result.errors) and result.data is None and all(e.path is None for e in result.errors or [])
        )
        if request_error and media == GRAPHQL_RESPONSE:
            payload: dict[str, Any] = {"errors": errors}
            status = 400
        else:
            payload = {"data": result.data}
            if errors:
                payload["errors"] = errors
            status = 200
        body = orjson.dumps(payload)
        if cache_key is not None:
            # Answers that depend only on the document, variables and release are cached;
            # a masked internal error is not (it may be transient).
            if not any(e.original_error is not None for e in result.errors or []):
                self._cache[cache_key] = (status, body)
                if len(self._cache) > RESPONSE_CACHE_SIZE:
                    self._cache.popitem(last=False)
            return self._raw(body, status, media, f'"{cache_key[:32]}"')
        return self._raw(body, status, media, None)

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            q = request.query_params
            return {
                "query": q.get("query"),
                "variables": _json_param(q.get("variables"), "variables"),
                "operationName": q.get("operationName") or None,
                "extensions": _json_param(q.get("extensions"), "extensions"),
            }
        content_type = request.headers.get("content-type", "")
        media, *options = (p.strip().lower() for p in content_type.split(";"))
        if media != JSON:
            raise _RequestError(415, f"POST bodies must be {JSON}, got {content_type or 'none'!r}")
        for option in options:
            if option.startswith("charset=") and option[8:].strip('"') not in ("utf-8", "utf8"):
                raise _RequestError(415, f"unsupported charset {option[8:]!r}; use utf-8")
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise _RequestError(400, "the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise _RequestError(400, "the request body must be a JSON object")
        return body

    @staticmethod
    def _check(
        params: dict[str, Any],
    ) -> tuple[str | None, dict[str, Any] | None, str | None, dict[str, Any] | None]:
        query, variables = params.get("query"), params.get("variables")
        operation_name, extensions = params.get("operationName"), params.get("extensions")
        if query is not None and not isinstance(query, str):
            raise _RequestError(400, "`query` must be a string")
        if variables is not None and not isinstance(variables, dict):
            raise _RequestError(400, "`variables` must be an object")
        if operation_name is not None and not isinstance(operation_name, str):
            raise _RequestError(400, "`operationName` must be a string")
        if extensions is not None and not isinstance(extensions, dict):
            raise _RequestError(400, "`extensions` must be an object")
        if query is None and not (extensions and "persistedQuery" in extensions):
            raise _RequestError(400, "no GraphQL query in the request (`query` is missing)")
        return query, variables, operation_name, extensions

    @staticmethod
    def _respond(payload: dict[str, Any], status: int, media: str) -> Response:
        body = orjson.dumps(payload)
        return GraphQLEndpoint._raw(body, status, media, None)

    @staticmethod
    def _raw(body: bytes, status: int, media: str, etag: str | None) -> Response:
        headers = {"cache-control": "no-store"}
        if etag is not None:
            headers = {"etag": etag, "cache-control": CACHE_CONTROL_GET, "vary": "accept"}
        return Response(body, status_code=status, media_type=f"{media}; charset=utf-8", headers=headers)


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {t.strip().removeprefix("W/") for t in header.split(",")}
