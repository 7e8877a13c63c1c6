"""The OpenAPI 3.1 document of the REST face, generated from the same definitions the routes
use (resources, parameters, shapes) and the GraphQL schema's descriptions and enums; the docs
page (Swagger UI, vendored in api/static/swagger-ui/); and `rest_api`, which mounts all of it.

Other /v1/ routes (files, charts…) join with `rest_api(..., extra_routes=…, extra_paths=…)`:
their routes are mounted first, and their path items are added to the document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import orjson
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from api.assets import StaticAssets
from api.engine import Engine
from api.problems import PROBLEM_JSON, problem
from api.rest.documents import REFERENCE_FIELDS, SearchShape, Shape
from api.rest.formats import CSV, JSON, NDJSON
from api.rest.parameters import LIMIT_ALL, MAX_PAGE, Parameter
from api.rest.resources import RESOURCES, Kind, Resource
from api.rest.routes import DEFAULT_LIMIT, rest_routes
from schema.limits import DEFAULT_LIMITS, QueryLimits

SCALARS: dict[str, dict[str, Any]] = {
    "String": {"type": "string"},
    "ID": {"type": "string"},
    "Int": {"type": "integer"},
    "Float": {"type": "number"},
    "Boolean": {"type": "boolean"},
    "Date": {"type": "string", "format": "date"},
    "DateTime": {"type": "string", "format": "date-time"},
}
PROBLEM_STATUSES = {
    "400": "The request is malformed: an unknown parameter, a bad value, a query over a limit.",
    "404": "Nothing has that slug.",
    "406": "None of the formats asked for in Accept is served here.",
    "414": "The query string is too long.",
    "401": "The API key is not known to this service (`API_KEY_INVALID`; only with rate limits).",
    "429": "The client's rate limit does not cover the request (`RATE_LIMITED`; see `Retry-After`).",
    "500": "A bug; it has been logged under the request id.",
    "503": "The database is unavailable, or the service is overloaded; try again shortly.",
    "504": "The request did not finish within its deadline.",
}
# Refused by the connection layer before any route is known (api/server.py, api/middleware.py),
# in the GraphQL error shape: an unparsable request, headers too slow or too large, overload.
CONNECTION_STATUSES = {
    "400": "The request could not be parsed as HTTP.",
    "408": "The request headers did not arrive in time.",
    "431": "The request line and headers are too large.",
    "503": "Too many connections or requests in flight.",
}
# Path items of other /v1/ routes, built with the document's builder.
ExtraPaths = Callable[["Builder"], Mapping[str, Any]]
DESCRIPTION = """The REST face of Détente: every route is a GraphQL query with variables built
from the query string, answered by the same executor, limits, deadline and caches as `/graphql`.
Filters and orders are the GraphQL filter inputs' fields in snake_case (`date: {from}` ->
`date_from`); lists take comma-separated values. Collections page with `limit` and `after` (the
`nextCursor` of the body, or the `Link: rel="next"` header); `.csv` or `.ndjson` on a
collection path (or `Accept: text/csv`, `application/x-ndjson`) changes the format, and
`limit=all` streams every row in those. Errors are `application/problem+json` with the same
stable `code` as GraphQL's `extensions.code`."""


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    if "enum" in schema:
        return {**schema, "type": [schema["type"], "null"], "enum": [*schema["enum"], None]}
    return {**schema, "type": [schema["type"], "null"]}


class Builder:
    """Schemas, enums and parameter objects, each generated once and referred to by name."""

    def __init__(self, schema: GraphQLSchema, limits: QueryLimits) -> None:
        self.gql = schema
        self.limits = limits
        self.schemas: dict[str, Any] = {}

    def enum(self, enum: GraphQLEnumType) -> dict[str, Any]:
        if enum.name not in self.schemas:
            described = "; ".join(f"`{n}`: {(v.description or '').strip()}" for n, v in enum.values.items())
            self.schemas[enum.name] = {
                "type": "string",
                "enum": list(enum.values),
                "description": f"{(enum.description or '').strip()} {described}".strip(),
            }
        return _ref(enum.name)

    def output(self, type_: GraphQLOutputType) -> dict[str, Any]:
        """The JSON schema of a scalar, enum or list output type, nullability included."""
        if isinstance(type_, GraphQLNonNull):
            return self._inner(type_.of_type)
        return _nullable(self._inner(type_))

    def _inner(self, type_: Any) -> dict[str, Any]:
        if isinstance(type_, GraphQLList):
            return {"type": "array", "items": self.output(type_.of_type)}
        if isinstance(type_, GraphQLEnumType):
            return self.enum(type_)
        if isinstance(type_, GraphQLObjectType):
            return {
                "type": "object",
                "properties": {n: self.output(f.type) for n, f in type_.fields.items()},
                "required": [n for n, f in type_.fields.items() if isinstance(f.type, GraphQLNonNull)],
            }
        return dict(SCALARS.get(type_.name, {"type": "string"}))

    def reference(self, target: GraphQLObjectType, with_role: bool) -> dict[str, Any]:
        name = f"{target.name}{'Role' if with_role else ''}Ref"
        if name not in self.schemas:
            fields = [f for f in REFERENCE_FIELDS if f in target.fields]
            properties = {f: self.output(target.fields[f].type) for f in fields}
            if with_role:
                edge = self.gql.type_map["ActorRoleEdge"]
                assert isinstance(edge, GraphQLObjectType)
                properties["role"] = self.output(edge.fields["role"].type)
            self.schemas[name] = {
                "type": "object",
                "description": f"A {target.name.lower()}, by slug and name (`expand` gives all its fields). "
                f"{(target.description or '').strip()}",
                "properties": properties,
                "required": list(properties),
            }
        return _ref(name)

    def record(self, shape: Shape) -> dict[str, Any]:
        type_ = shape.type
        if type_.name not in self.schemas:
            self.schemas[type_.name] = {}  # placeholder: records may refer to themselves
            properties: dict[str, Any] = {}
            required: list[str] = []
            for name in [*shape.scalars, *(n for n, _ in shape.values)]:
                gql_field = type_.fields[name]
                properties[name] = {
                    **self.output(gql_field.type),
                    "description": _text(gql_field.description),
                }
                if isinstance(gql_field.type, GraphQLNonNull):
                    required.append(name)
            for link in shape.links:
                gql_field = type_.fields[link.name]
                item = self.reference(link.target, link.with_role)
                if link.many:
                    schema: dict[str, Any] = {"type": "array", "items": item}
                    extra = f" (at most {100} here; the full list pages in GraphQL)"
                elif isinstance(gql_field.type, GraphQLNonNull):
                    schema, extra = item, ""
                else:
                    schema, extra = _nullable(item), ""
                properties[link.name] = {"description": _text(gql_field.description) + extra, **schema}
                required.append(link.name)
            self.schemas[type_.name] = {
                "type": "object",
                "description": _text(type_.description),
                "properties": properties,
                "required": required,
            }
        return _ref(type_.name)

    def search_hit(self, shape: SearchShape) -> dict[str, Any]:
        if "SearchHit" not in self.schemas:
            edge = self.gql.type_map["SearchEdge"]
            assert isinstance(edge, GraphQLObjectType)
            present = {f for t in shape.union.types for f in t.fields}
            properties: dict[str, Any] = {
                "kind": {"type": "string", "enum": [t.name for t in shape.union.types]},
                **{f: {"type": "string"} for f in REFERENCE_FIELDS if f in present},
                "rank": {"type": "number", "description": _text(edge.fields["rank"].description)},
                "snippet": {"type": "string", "description": _text(edge.fields["snippet"].description)},
            }
            self.schemas["SearchHit"] = {
                "type": "object",
                "description": "A search hit: its kind, slug and name or title, rank and snippet.",
                "properties": properties,
                "required": ["kind", "slug", "rank", "snippet"],
            }
        return _ref("SearchHit")

    def parameter(self, parameter: Parameter) -> dict[str, Any]:
        named = parameter.type
        if parameter.order:
            value: dict[str, Any] = {"type": "string", "enum": list(parameter.order)}
        elif isinstance(named, GraphQLEnumType):
            value = self.enum(named)
        else:
            value = dict(SCALARS.get(named.name, {"type": "string"}))
            if value == {"type": "string"}:
                search = parameter.path[-1] in ("search", "query")
                value["maxLength"] = self.limits.max_search_chars if search else self.limits.max_string_chars
        schema: dict[str, Any] = value
        if parameter.is_list:
            schema = {"type": "array", "items": value, "maxItems": self.limits.max_list_items}
        found: dict[str, Any] = {
            "name": parameter.name,
            "in": "query",
            "required": parameter.required,
            "description": parameter.description,
            "schema": schema,
        }
        if parameter.is_list:
            found |= {"style": "form", "explode": False}
        return found


def _text(description: str | None) -> str:
    return (description or "").strip()


def _page_schema(name: str, item: dict[str, Any], builder: Builder) -> dict[str, Any]:
    builder.schemas[name] = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": item},
            "totalCount": {"type": "integer", "description": "How many items match, on every page."},
            "nextCursor": {
                "type": ["string", "null"],
                "description": "Pass as `after` for the next page; null on the last page.",
            },
        },
        "required": ["items", "totalCount", "nextCursor"],
    }
    return _ref(name)


def _operation(resource: Resource, builder: Builder) -> dict[str, Any]:
    gql = builder.gql
    sig, _ = resource.signature(gql)
    fields = resource.gql_fields(gql)
    shape = resource.shape(gql)
    item = builder.search_hit(shape) if isinstance(shape, SearchShape) else builder.record(shape)
    name = resource.type_name if not isinstance(shape, SearchShape) else "SearchHit"
    body: dict[str, Any]
    if resource.paged:
        body = _page_schema(f"{name}Page", item, builder)
    elif resource.kind is Kind.LIST:
        builder.schemas[f"{name}List"] = {
            "type": "object",
            "properties": {"items": {"type": "array", "items": item}},
            "required": ["items"],
        }
        body = _ref(f"{name}List")
    else:
        body = item
    parameters: list[dict[str, Any]] = [
        {
            "name": p,
            "in": "path",
            "required": True,
            "description": "The record's slug.",
            "schema": {"type": "string", "pattern": "^[^/.]+$"},
        }
        for p in resource.path_parameters
    ]
    parameters += [builder.parameter(p) for p in sig.parameters]
    if resource.paged:
        parameters += [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"Items per page, 1 to {MAX_PAGE} (default {DEFAULT_LIMIT}); `{LIMIT_ALL}` "
                "streams every matching item, for CSV and NDJSON only.",
                "schema": {
                    "oneOf": [
                        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                        {"type": "string", "enum": [LIMIT_ALL]},
                    ]
                },
            },
            {
                "name": "after",
                "in": "query",
                "required": False,
                "description": "The `nextCursor` of the previous page.",
                "schema": {"type": "string"},
            },
        ]
    expandable = resource.expandable(gql)
    if expandable:
        parameters.append(
            {
                "name": "expand",
                "in": "query",
                "required": False,
                "description": "Related records to give in full instead of by slug and name.",
                "schema": {"type": "array", "items": {"type": "string", "enum": expandable}},
                "style": "form",
                "explode": False,
            }
        )
    content: dict[str, Any] = {JSON.media_type: {"schema": body}}
    if resource.has_formats:
        content[CSV.media_type] = {
            "schema": {
                "type": "string",
                "description": "Also at the path with `.csv`. Relations flatten to `slug;…` (`slug:ROLE;…`), "
                "sources' URLs to `sourcesUrls`.",
            }
        }
        content[NDJSON.media_type] = {
            "schema": {"type": "string", "description": "Also at the path with `.ndjson`: one item a line."}
        }
    headers: dict[str, Any] = {
        "ETag": {"schema": {"type": "string"}, "description": "Send as If-None-Match to get a 304."}
    }
    if resource.paged:
        headers["Link"] = {"schema": {"type": "string"}, "description": 'The next page, `rel="next"`.'}
        headers["X-Total-Count"] = {"schema": {"type": "integer"}}
    responses: dict[str, Any] = {
        "200": {
            "description": _text(fields[-1].description) or resource.summary,
            "content": content,
            "headers": headers,
        },
        "304": {"description": "Not modified since the ETag given in If-None-Match."},
    }
    for status, description in PROBLEM_STATUSES.items():
        if status == "404" and not resource.path_parameters and resource.kind is not Kind.OBJECT:
            continue
        problem_content: dict[str, Any] = {PROBLEM_JSON: {"schema": _ref("Problem")}}
        if status in CONNECTION_STATUSES:
            problem_content[JSON.media_type] = {"schema": _ref("ConnectionError")}
        responses[status] = {"description": description, "content": problem_content}
    for status, description in CONNECTION_STATUSES.items():
        if status not in responses:
            responses[status] = {
                "description": description,
                "content": {JSON.media_type: {"schema": _ref("ConnectionError")}},
            }
    graphql = " → ".join(name for name, _ in resource.fields)
    return {
        "operationId": resource.operation_id,
        "tags": [resource.tag],
        "summary": resource.summary,
        "description": f"{_text(fields[-1].description)}\n\nGraphQL: `{graphql}`.",
        "parameters": parameters,
        "responses": responses,
    }


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error (RFC 9457 problem details), with the stable code GraphQL gives it.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "The stable code (README, Error codes)."},
        "requestId": {"type": "string", "description": "Quote it when reporting a problem."},
        "parameters": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["type", "title", "status", "detail", "code", "requestId"],
}


CONNECTION_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error from the connection layer, before routing, in the GraphQL error shape.",
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "message": {"type": "string"},
                    "extensions": {"type": "object", "properties": {"code": {"type": "string"}}},
                },
                "required": ["message", "extensions"],
            },
        }
    },
    "required": ["errors"],
}


def openapi_document(
    schema: GraphQLSchema,
    limits: QueryLimits = DEFAULT_LIMITS,
    extra_paths: ExtraPaths | None = None,
) -> dict[str, Any]:
    """The document: every resource, then the path items `extra_paths` builds (path -> path item)
    with the same builder, so their parameters, enums and problems are the resources' own."""
    builder = Builder(schema, limits)
    paths: dict[str, Any] = {}
    for resource in RESOURCES:
        paths[resource.path] = {"get": _operation(resource, builder)}
    paths.update(extra_paths(builder) if extra_paths is not None else {})
    try:
        release = version("detente")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout without installing
        release = "0"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Détente REST API",
            "version": release,
            "description": DESCRIPTION,
            "license": {"name": "Code: see the repository; data: CC BY 4.0"},
        },
        "paths": paths,
        "components": {
            "schemas": {
                **dict(sorted(builder.schemas.items())),
                "Problem": PROBLEM_SCHEMA,
                "ConnectionError": CONNECTION_ERROR_SCHEMA,
            }
        },
    }


DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Détente REST API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="{favicon}">
<link rel="stylesheet" href="{css}">
</head>
<body>
<div id="swagger-ui" data-spec="/v1/openapi.json"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


def rest_api(
    engine: Engine,
    assets: StaticAssets,
    extra_routes: Sequence[BaseRoute] = (),
    extra_paths: ExtraPaths | None = None,
) -> list[BaseRoute]:
    """Every /v1/ route: `extra_routes` first, the resources, the OpenAPI document and its page."""
    from api.pages import SECURITY_HEADERS

    limits = engine.schema.documents.limits
    body = orjson.dumps(openapi_document(engine.schema._schema, limits, extra_paths))
    page = DOCS_PAGE.format(
        favicon=assets.url("detente/favicon.svg"),
        css=assets.url("swagger-ui/swagger-ui.css"),
        bundle=assets.url("swagger-ui/swagger-ui-bundle.js"),
        init=assets.url("detente/rest-docs.js"),
    )

    async def document(request: Request) -> Response:
        return Response(body, media_type="application/json", headers={"cache-control": "no-cache"})

    async def docs(request: Request) -> Response:
        return HTMLResponse(page, headers=SECURITY_HEADERS)

    return [
        *rest_routes(engine, extra_routes),
        Route("/v1/openapi.json", document, methods=["GET", "HEAD"]),
        Route("/v1/docs", docs, methods=["GET", "HEAD"]),
        Route("/v1/{path:path}", _not_found),
    ]


async def _not_found(request: Request) -> Response:
    """Any other /v1/ address: a problem, like every REST error."""
    return problem(request, 404, "NOT_FOUND", f"no resource at {request.url.path[:200]}")
