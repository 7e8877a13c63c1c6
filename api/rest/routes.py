"""REST endpoints: a query string becomes a GraphQL document's variables, run by the same
`Engine` as /graphql (executor, limits, deadline, response cache, ETags); the answer is reshaped
into JSON, CSV or NDJSON, and every error is problem+json with the GraphQL error's code."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from api.engine import Engine
from api.problems import Problem
from api.rest.documents import (
    RELATION_PAGE,
    SearchShape,
    Shape,
    descend,
    operation,
    page_body,
)
from api.rest.formats import CSV, EXTENSIONS, FORMATS, JSON, NDJSON, Format, csv_rows, ndjson_rows, negotiate
from api.rest.metering import metered
from api.rest.parameters import LIMIT_ALL, MAX_PAGE, Signature, to_variables
from api.rest.resources import RESOURCES, Kind, Resource
from api.rest.run import answered, query_pairs, run_document

STREAM_PAGE = MAX_PAGE
DEFAULT_LIMIT = 20


class SlugConvertor(Convertor[str]):
    """A slug never holds a dot, so `/v1/metrics/{slug}.csv` is left to the routes that serve it."""

    regex = "[^/.]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class FormatConvertor(Convertor[str]):
    regex = EXTENSIONS

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("slug", SlugConvertor())
register_url_convertor("rest_format", FormatConvertor())


@dataclass(frozen=True)
class _Document:
    query: str
    shape: Shape | SearchShape


def url_path(request: Request) -> str:
    """`request.url.path` without building the request's whole URL (a tenth of the cost): the
    path with the three characters Starlette's URL escapes, as `urlsplit` reads it (which drops
    tabs and line breaks). Every REST path starts with /v1/, so it has no scheme or authority."""
    path: str = request.scope["path"]
    return urlsplit(path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")).path


class RestEndpoint:
    """One resource: its GraphQL documents (one per `expand` choice, and one for streaming)."""

    def __init__(self, resource: Resource, engine: Engine) -> None:
        self.resource = resource
        self.engine = engine
        self.gql = engine.schema._schema
        self.signature: Signature
        self.signature, self.variables = resource.signature(self.gql)
        self.expandable = resource.expandable(self.gql)
        self.reserved: dict[str, None] = {}
        if resource.paged:
            self.reserved |= {"limit": None, "after": None}
        if self.expandable:
            self.reserved["expand"] = None
        self.offered = [JSON, CSV, NDJSON] if resource.has_formats else [JSON]
        self._documents: dict[tuple[frozenset[str], bool], _Document] = {}

    def document(self, expand: frozenset[str], stream: bool) -> _Document:
        key = (expand, stream)
        found = self._documents.get(key)
        if found is None:  # at most 2 ** len(expandable) × 2 per route: small, and never evicted
            resource = self.resource
            doc_shape = resource.shape(self.gql, expand)
            selection = doc_shape.selection()
            search = isinstance(doc_shape, SearchShape)
            if resource.paged:
                body = page_body(selection, with_total=not stream, search=search)
            else:
                body = selection
            path = [(name, list(args)) for name, args in resource.fields[:-1]]
            path.append((resource.fields[-1][0], list(self.signature.arguments)))
            name = "Rest_" + resource.operation_id
            found = _Document(operation(name, self.variables, path, body), doc_shape)
            self._documents[key] = found
        return found

    async def handle(self, request: Request) -> Response:
        response = await answered(request, lambda: self._handle(request))
        if request.method == "HEAD" and not isinstance(response, StreamingResponse):
            response.body = b""
        return response

    def _format(self, request: Request) -> Format:
        extension = request.path_params.get("format")
        if extension is not None:
            return FORMATS[extension]
        chosen = negotiate(request.headers.get("accept"), self.offered)
        if chosen is None:
            offered = ", ".join(f.media_type for f in self.offered)
            raise Problem(406, "NOT_ACCEPTABLE", f"this resource is served as {offered}")
        return chosen

    def _query(self, request: Request) -> list[tuple[str, str]]:
        return query_pairs(request, self.engine.settings.max_query_string_bytes)

    def _expand(self, given: dict[str, list[str]]) -> frozenset[str]:
        names = [n for value in given.get("expand", []) for n in value.split(",") if n]
        unknown = sorted(set(names) - set(self.expandable))
        if unknown:
            raise Problem(
                400,
                "BAD_REQUEST",
                f"cannot expand {', '.join(unknown)}; this resource expands {', '.join(self.expandable)}",
                parameters=["expand"],
            )
        return frozenset(names)

    def _paging(self, given: dict[str, list[str]], fmt: Format) -> tuple[int | str | None, str | None, bool]:
        for name in ("limit", "after"):
            if len(given.get(name, [])) > 1:
                raise Problem(
                    400, "BAD_REQUEST", f"parameter given more than once: {name}", parameters=[name]
                )
        limit_raw = given.get("limit", [None])[0]
        after = given.get("after", [None])[0]
        if limit_raw == LIMIT_ALL:
            if fmt is JSON:
                raise Problem(
                    400,
                    "BAD_USER_INPUT",
                    "limit=all streams every row as CSV or NDJSON: ask for .csv or .ndjson, or page "
                    f"with limit (at most {MAX_PAGE}) and after",
                    parameters=["limit"],
                )
            if after is not None:
                raise Problem(400, "BAD_USER_INPUT", "limit=all starts at the first row: drop `after`")
            return None, None, True
        limit: int | str | None = DEFAULT_LIMIT
        if limit_raw is not None:
            limit = int(limit_raw) if limit_raw.lstrip("-").isdigit() and len(limit_raw) < 12 else limit_raw
            if isinstance(limit, int) and not 1 <= limit <= MAX_PAGE:
                # Checked here, not left to the cost limit: the embedded relations multiply it.
                raise Problem(
                    400,
                    "BAD_USER_INPUT",
                    f"limit must be from 1 to {MAX_PAGE} (or {LIMIT_ALL} for CSV and NDJSON), got {limit}",
                    parameters=["limit"],
                )
        return limit, after, False

    async def _handle(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            raise Problem(
                405, "METHOD_NOT_ALLOWED", "this resource is read with GET", headers={"allow": "GET, HEAD"}
            )
        query = self._query(request)
        fmt = self._format(request)
        variables, given = to_variables(self.signature, query, self.reserved)
        expand = self._expand(given)
        for name in self.resource.path_parameters:
            variables[name] = request.path_params[name]
        stream = False
        if self.resource.paged:
            limit, after, stream = self._paging(given, fmt)
            if not stream:
                variables["first"] = limit
                if after is not None:
                    variables["after"] = after
        if stream:
            return await self._stream(request, fmt, variables, expand)
        document = self.document(expand, False)

        async def build() -> tuple[bytes, dict[str, str]]:
            data = await self._run(request, document.query, variables)
            body, headers = self._render(request, document, data, fmt, query)
            return body, {**headers, "vary": "accept"}

        return await self.engine.answer_get(
            request, ("rest", document.query, variables, fmt.name), build, fmt.content_type
        )

    async def _run(self, request: Request, query: str, variables: dict[str, Any]) -> Any:
        data = await run_document(self.engine, request, query, variables)
        value = descend(data, len(self.resource.fields))
        if value is None and self.resource.kind is not Kind.LIST:
            raise self._not_found(request)
        return value

    def _not_found(self, request: Request) -> Problem:
        if self.resource.kind is Kind.OBJECT:
            return Problem(404, "NOT_FOUND", "no release is loaded")
        slug = request.path_params.get("slug", "")
        what = self.resource.fields[0][0]
        return Problem(404, "NOT_FOUND", f"no {what} has the slug {slug[:100]!r}")

    def _rows(self, document: _Document, value: Any) -> list[dict[str, Any]]:
        doc_shape = document.shape
        if isinstance(doc_shape, SearchShape):
            return doc_shape.rows(value)
        if self.resource.paged:
            return doc_shape.reshape_all(value["nodes"])
        if self.resource.kind is Kind.LIST:
            return doc_shape.reshape_all(value)
        return [doc_shape.reshape(value)]

    def _render(
        self, request: Request, document: _Document, value: Any, fmt: Format, query: Sequence[tuple[str, str]]
    ) -> tuple[bytes, dict[str, str]]:
        rows = self._rows(document, value)
        headers: dict[str, str] = {}
        next_cursor = None
        if self.resource.paged:
            info = value["pageInfo"]
            next_cursor = info["endCursor"] if info["hasNextPage"] else None
            headers["x-total-count"] = str(value["totalCount"])
            if next_cursor is not None:
                following = [(k, v) for k, v in query if k != "after"] + [("after", next_cursor)]
                headers["link"] = f'<{url_path(request)}?{urlencode(following)}>; rel="next"'
        if fmt is CSV:
            columns = document.shape.columns()
            headers["content-disposition"] = f'inline; filename="{self._filename()}.csv"'
            return csv_rows([columns, *(document.shape.flatten(r) for r in rows)]), headers
        if fmt is NDJSON:
            return ndjson_rows(rows), headers
        if self.resource.paged:
            return orjson.dumps(
                {"items": rows, "totalCount": value["totalCount"], "nextCursor": next_cursor}
            ), headers
        if self.resource.kind is Kind.LIST:
            return orjson.dumps({"items": rows}), headers
        return orjson.dumps(rows[0]), headers

    def _filename(self) -> str:
        return self.resource.operation_id.removeprefix("list_")

    async def _stream(
        self, request: Request, fmt: Format, variables: dict[str, Any], expand: frozenset[str]
    ) -> Response:
        """Every matching row, a page at a time, written as it comes: memory stays that of a page.
        The first page is fetched before answering, so its errors are still a problem answer;
        a later failure cuts the stream short (the client sees an incomplete chunked body)."""
        document = self.document(expand, True)
        first = await self._run(request, document.query, {**variables, "first": STREAM_PAGE})
        headers = {"cache-control": "no-store", "vary": "accept"}
        if fmt is CSV:
            headers["content-disposition"] = f'inline; filename="{self._filename()}.csv"'
        if request.method == "HEAD":
            return Response(b"", media_type=fmt.content_type, headers=headers)

        async def chunks() -> AsyncIterator[bytes]:
            value = first
            if fmt is CSV:
                yield csv_rows([document.shape.columns()])
            while True:
                rows = self._rows(document, value)
                if fmt is CSV:
                    yield csv_rows(document.shape.flatten(r) for r in rows)
                else:
                    yield ndjson_rows(rows)
                info = value["pageInfo"]
                if not info["hasNextPage"]:
                    return
                cursor_variables = {**variables, "first": STREAM_PAGE, "after": info["endCursor"]}
                value = await self._run(request, document.query, cursor_variables)

        return StreamingResponse(chunks(), media_type=fmt.content_type, headers=headers)


def rest_routes(engine: Engine, extra: Sequence[BaseRoute] = ()) -> list[BaseRoute]:
    """Every /v1/ route; `extra` routes (files, charts…) come first, so they win where paths meet."""
    routes: list[BaseRoute] = list(extra)
    for resource in RESOURCES:
        handle = metered(engine, RestEndpoint(resource, engine).handle)
        path = resource.path.replace("{slug}", "{slug:slug}")
        routes.append(Route(path, handle, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]))
        if resource.has_formats:
            routes.append(Route(path + ".{format:rest_format}", handle, methods=["GET", "HEAD"]))
    return routes


__all__ = ["RELATION_PAGE", "RestEndpoint", "rest_routes"]
