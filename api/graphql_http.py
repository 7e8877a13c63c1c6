"""GraphQL over HTTP (the GraphQL-over-HTTP spec): GET, HEAD and POST, content negotiation,
status codes, persisted queries, ETags and a response cache for GET.

Request errors (unparsable, invalid, bad variables, too costly) answer 400 without a `data` key
to clients that accept `application/graphql-response+json`, and 200 to legacy
`application/json` clients, as the spec asks. Whatever goes wrong — a database that is gone, a
request past its deadline, a bug — the answer is JSON in the same shape with a stable code and
the request id, and only an answer without errors is ever cached or validated by an ETag.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from api import metrics
from api.cdn import RELEASE_PARAMETER, cdn_headers, pin_mismatch
from api.compression import CODINGS, add_vary, coded_etag, encode, negotiate
from api.database import DATABASE_ERRORS
from api.engine import (
    CACHE_CONTROL_GET,
    RETRY_AFTER_S,
    UNAVAILABLE_MESSAGE,
    Engine,
    RateLimited,
    etag_of,
    etags,
)
from api.middleware import request_id
from api.negotiation import weighted
from api.persisted import PersistedQueries, PersistedQueryError
from api.ratelimit import UnknownKey, refusal_message
from api.settings import Settings
from api.shared_cache import Kept

logger = logging.getLogger("detente.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# A cacheable answer depends on both: its media type, and its content coding (once large).
VARY = "accept, accept-encoding"


class _RequestError(Exception):
    def __init__(self, status: int, message: str, code: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers or {}


def _media_type(accept: str | None) -> str | None:
    """The response type for an Accept header; None when we can serve none of its types."""
    if not accept:
        return JSON
    for media, _ in sorted(weighted(accept, 50), key=lambda r: -r[1]):  # stable: ties in order
        if media == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        # Legacy clients (and */*) get application/json, as the spec's watershed rules ask.
        if media in (JSON, "*/*", "application/*"):
            return JSON
    return None


def _json(raw: bytes | str, what: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        # orjson refuses nesting past 1,024 levels and lone surrogates, with a clear reason.
        raise _RequestError(400, f"{what} is not valid JSON: {error}", "BAD_REQUEST") from None


class GraphQLEndpoint:
    def __init__(
        self,
        engine: Engine,
        persisted: PersistedQueries,
        settings: Settings,
        explorer: Callable[[], Response],
    ) -> None:
        self.engine = engine  # with the response cache and the rate limiter REST shares
        self.schema = engine.schema
        self.persisted = persisted
        self.release_tag = engine.release_tag
        self.settings = settings
        self.limiter = engine.limiter
        self.explorer = explorer  # the HTML page a browser gets (GraphiQL)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        media = _media_type(request.headers.get("accept")) or JSON
        try:
            if self.limiter is not None:
                try:
                    request.state.client = self.limiter.client(request)
                except UnknownKey:
                    raise _RequestError(
                        401, "the API key is not known to this service", "API_KEY_INVALID"
                    ) from None
            response = await self._handle(request)
        except _RequestError as error:
            response = self._error(str(error), error.code, error.status, media, request)
            response.headers.update(error.headers)
        except RateLimited as refused:
            response = self._refused(refused, media, request)
        except DATABASE_ERRORS as error:
            # The database went away before anything ran (reading the release tag).
            logger.warning(
                "database unavailable",
                extra={"request_id": request_id(request), "error": type(error).__name__},
            )
            response = self._error(UNAVAILABLE_MESSAGE, "SERVICE_UNAVAILABLE", 503, media, request)
            response.headers["retry-after"] = RETRY_AFTER_S
        try:
            await self.engine.settle(request)  # answers that ran nothing are counted too
        except RateLimited as refused:
            response = self._refused(refused, media, request)
        quota = self.engine.quota(request)
        if quota is not None:
            response.headers.update(quota.headers())
        if request.method == "HEAD":
            response.body = b""
        await response(scope, receive, send)

    @staticmethod
    def _count_errors(errors: Sequence[Mapping[str, Any]]) -> None:
        for error in errors:
            code = (error.get("extensions") or {}).get("code")
            metrics.ERRORS.labels(code if isinstance(code, str) else "NONE").inc()

    def _refused(self, refused: RateLimited, media: str, request: Request) -> Response:
        quota = refused.quota
        response = self._error(refusal_message(quota), "RATE_LIMITED", 429, media, request)
        response.headers["retry-after"] = str(quota.reset_s)
        return response

    def _error(self, message: str, code: str, status: int, media: str, request: Request) -> Response:
        extensions: dict[str, Any] = {"code": code}
        if status >= 500:
            extensions["requestId"] = request_id(request)
        metrics.ERRORS.labels(code).inc()
        return self._respond({"errors": [{"message": message, "extensions": extensions}]}, status, media)

    async def _handle(self, request: Request) -> Response:
        method = request.method
        if method not in ("GET", "HEAD", "POST"):
            raise _RequestError(
                405, "GraphQL is served over GET and POST", "METHOD_NOT_ALLOWED", {"allow": "GET, HEAD, POST"}
            )
        accept = request.headers.get("accept")
        wants_ide = accept is not None and "text/html" in accept
        query_string = request.scope.get("query_string", b"")
        if len(query_string) > self.settings.max_query_string_bytes:
            raise _RequestError(
                414,
                f"the query string is {len(query_string)} bytes, over the limit of "
                f"{self.settings.max_query_string_bytes}; send long queries by POST",
                "URI_TOO_LONG",
            )
        if method != "POST" and wants_ide and not {"query", "extensions"} & set(request.query_params):
            return self.explorer()
        media = _media_type(accept)
        if media is None:
            raise _RequestError(
                406,
                f"cannot answer with any of {(accept or '')[:200]!r}; accept {GRAPHQL_RESPONSE}",
                "NOT_ACCEPTABLE",
            )

        params = await self._params(request)
        query, variables, operation_name, extensions = self._check(params)
        try:
            query, to_learn = await self.persisted.resolve(query, extensions)
        except PersistedQueryError as error:
            metrics.ERRORS.labels(error.code).inc()
            return self._respond(
                {"errors": [{"message": error.message, "extensions": {"code": error.code}}]},
                400 if media == GRAPHQL_RESPONSE and error.status == 400 else error.status,
                media,
            )

        cache_key = None
        tag = ""
        pinned = request.query_params.get(RELEASE_PARAMETER)
        if pinned is not None:
            tag = await self.release_tag.current(request.state.pool, self.settings.pool_timeout_ms / 1000)
            mismatch = pin_mismatch(pinned, tag)
            if mismatch is not None:
                raise _RequestError(409, mismatch, "RELEASE_NOT_LOADED")
        coding = negotiate(request.headers.get("accept-encoding"))
        kind = self._operation_type(query, operation_name)
        request.scope["state"]["operation"] = kind.value if kind is not None else "invalid"
        if method != "POST":
            if kind == OperationType.MUTATION:
                raise _RequestError(
                    405, "mutations are not allowed over GET", "METHOD_NOT_ALLOWED", {"allow": "POST"}
                )
            tag = await self.release_tag.current(request.state.pool, self.settings.pool_timeout_ms / 1000)
            cache_key = self.engine.cache_key(tag, query, variables, operation_name, media, coding)
            kept, where = await self.engine.cached(cache_key)
            if kept is not None:
                if kept.etag in etags(request.headers.get("if-none-match")):
                    return self._cacheable(self._not_modified(kept.etag), tag, pinned, where)
                return self._cacheable(
                    self._raw(kept.body, 200, media, kept.etag, _coding_of(kept.etag)), tag, pinned, where
                )

        answer = await self.engine.execute(request, query, variables, operation_name)
        if answer is None:
            return self._error(self.engine.deadline_message(), "REQUEST_TIMEOUT", 504, media, request)
        data, errors = answer
        request_error = bool(errors) and data is None and all(e.path is None for e in errors)
        if to_learn is not None and not request_error:
            await self.persisted.learn(to_learn, query)
        formatted = [e.formatted for e in errors] or None
        if formatted:
            self._count_errors(formatted)
        if request_error and media == GRAPHQL_RESPONSE:
            payload: dict[str, Any] = {"errors": formatted}
            status = 400
        else:
            payload = {"data": data}
            if formatted:
                payload["errors"] = formatted
            status = 200
        body = orjson.dumps(payload)
        sent_coding = coding if len(body) >= self.settings.compression_min_bytes else None
        if cache_key is None or errors:
            # An answer with any error may be transient (an outage, a deadline): never kept,
            # never public, never validated by an ETag.
            return self._coded(body, status, media, None, sent_coding)
        # A coded answer is another representation, with its own tag (RFC 9110 §8.8.3).
        etag = coded_etag(etag_of(tag, body), sent_coding)
        if sent_coding is not None:
            body = encode(body, sent_coding)
        await self.engine.keep(cache_key, Kept(etag, body))
        if etag in etags(request.headers.get("if-none-match")):
            return self._cacheable(self._not_modified(etag), tag, pinned, "miss")
        return self._cacheable(self._raw(body, status, media, etag, sent_coding), tag, pinned, "miss")

    @staticmethod
    def _cacheable(response: Response, tag: str, pinned: str | None, where: str) -> Response:
        """A cacheable answer: surrogate keys naming its release (immutable when pinned to it),
        and where the service found it (`Detente-Cache`: local, shared or miss)."""
        response.headers.update(cdn_headers(tag, pinned is not None))
        response.headers["detente-cache"] = where
        return response

    def _operation_type(self, query: str, operation_name: str | None) -> OperationType | None:
        try:
            document = self.schema.documents.parse(query)
        except GraphQLError:
            return None  # the executor reports it
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode) and (
                operation_name is None or (definition.name and definition.name.value == operation_name)
            ):
                return definition.operation
        return None

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method != "POST":
            params: dict[str, str] = {}
            for key, value in parse_qsl(
                request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
            ):
                params.setdefault(key, value)
            return {
                "query": params.get("query"),
                "variables": _json(params["variables"], "`variables`") if params.get("variables") else None,
                "operationName": params.get("operationName") or None,
                "extensions": _json(params["extensions"], "`extensions`")
                if params.get("extensions")
                else None,
            }
        content_type = request.headers.get("content-type", "")
        media, *options = (p.strip().lower() for p in content_type.split(";"))
        if media != JSON:
            raise _RequestError(
                415,
                f"POST bodies must be {JSON}, got {content_type[:100] or 'none'!r}",
                "UNSUPPORTED_MEDIA_TYPE",
            )
        for option in options:
            if option.startswith("charset=") and option[8:].strip('"') not in ("utf-8", "utf8"):
                raise _RequestError(
                    415, f"unsupported charset {option[8:40]!r}; use utf-8", "UNSUPPORTED_MEDIA_TYPE"
                )
        body = _json(await self._body(request), "the request body")
        if not isinstance(body, dict):
            raise _RequestError(400, "the request body must be a JSON object", "BAD_REQUEST")
        return body

    async def _body(self, request: Request) -> bytes:
        """The body, read within the body timeout and refused as soon as it passes the limit."""
        limit = self.settings.max_body_bytes
        too_large = _RequestError(
            413, f"the request body is over the limit of {limit} bytes", "PAYLOAD_TOO_LARGE"
        )
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.settings.body_timeout_s):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise too_large
                    chunks.append(chunk)
        except TimeoutError:
            raise _RequestError(
                408,
                f"the request body did not arrive within {self.settings.body_timeout_s:g} s",
                "REQUEST_TIMEOUT",
            ) from None
        except ClientDisconnect:
            raise _RequestError(400, "the client went away before sending its body", "BAD_REQUEST") from None
        return b"".join(chunks)

    @staticmethod
    def _check(
        params: dict[str, Any],
    ) -> tuple[str | None, dict[str, Any] | None, str | None, dict[str, Any] | None]:
        query, variables = params.get("query"), params.get("variables")
        operation_name, extensions = params.get("operationName"), params.get("extensions")
        if query is not None and not isinstance(query, str):
            raise _RequestError(400, "`query` must be a string", "BAD_REQUEST")
        if variables is not None and not isinstance(variables, dict):
            raise _RequestError(400, "`variables` must be an object", "BAD_REQUEST")
        if operation_name is not None and not isinstance(operation_name, str):
            raise _RequestError(400, "`operationName` must be a string", "BAD_REQUEST")
        if extensions is not None and not isinstance(extensions, dict):
            raise _RequestError(400, "`extensions` must be an object", "BAD_REQUEST")
        if query is None and not (extensions and "persistedQuery" in extensions):
            raise _RequestError(400, "no GraphQL query in the request (`query` is missing)", "BAD_REQUEST")
        return query, variables, operation_name, extensions

    @staticmethod
    def _respond(payload: dict[str, Any], status: int, media: str) -> Response:
        return GraphQLEndpoint._raw(orjson.dumps(payload), status, media, None)

    def _coded(self, body: bytes, status: int, media: str, etag: str | None, coding: str | None) -> Response:
        return self._raw(encode(body, coding) if coding else body, status, media, etag, coding)

    @staticmethod
    def _not_modified(etag: str) -> Response:
        headers = {"etag": etag, "cache-control": CACHE_CONTROL_GET, "vary": VARY}
        return Response(status_code=304, headers=headers)

    @staticmethod
    def _raw(body: bytes, status: int, media: str, etag: str | None, coding: str | None = None) -> Response:
        """`body` is already coded with `coding` (None: the identity)."""
        headers = {"cache-control": "no-store"}
        if etag is not None:
            headers = {"etag": etag, "cache-control": CACHE_CONTROL_GET, "vary": VARY}
        if coding is not None:
            headers["content-encoding"] = coding
            add_vary(headers, "accept-encoding")
        return Response(body, status_code=status, media_type=f"{media}; charset=utf-8", headers=headers)


def _coding_of(etag: str) -> str | None:
    """The content coding a cached answer was stored in, from its ETag (`coded_etag`)."""
    for coding in CODINGS:
        if etag.endswith(f'-{coding}"'):
            return coding
    return None

