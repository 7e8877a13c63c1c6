"""OpenAPI 3.1 path items for the file, change and chart routes, for the merged document."""

from __future__ import annotations

from typing import Any

from api.rest.openapi import Builder
from api.rest.parameters import field_signature
from api.rest_files.routes import CHANGES_FIELD, DEFAULT_INTERVAL, OBSERVATIONS_FIELD, TIMELINE_FIELD

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": PROBLEM}}}


def _errors(*statuses: int) -> dict[str, Any]:
    known = {
        400: "Unknown query parameter or a malformed value (`BAD_USER_INPUT`, or a limit's code).",
        404: "No such record or release (`NOT_FOUND`).",
        414: "The query string is too long (`URI_TOO_LONG`).",
        429: "The client's rate limit does not cover the request (`RATE_LIMITED`).",
        503: "The database is unavailable (`SERVICE_UNAVAILABLE`).",
        504: "Past the request deadline (`REQUEST_TIMEOUT`).",
    }
    return {str(s): _problem(known[s]) for s in statuses}


_CACHED = {
    "ETag": {
        "description": "Of the release and the bytes sent; send it as If-None-Match.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "Public, for a minute (the data changes only with a release).",
        "schema": {"type": "string"},
    },
}
_NOT_MODIFIED = {"304": {"description": "Not modified (If-None-Match matched the ETag)."}}
_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "The metric's slug.",
    "schema": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
}
_RECORDS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["slug", "release"],
        "properties": {"slug": {"type": "string"}, "release": {"type": "string"}},
    },
}


def _parameters(builder: Builder, route_field: tuple[str, str]) -> list[dict[str, Any]]:
    """The query parameters of the GraphQL field a route reads, as the routes take them."""
    return [builder.parameter(p) for p in field_signature(builder.gql, *route_field).parameters]


def openapi_paths(builder: Builder) -> dict[str, dict[str, Any]]:
    """The path items of the file, change and chart routes (openapi_document's `extra_paths`)."""
    timeline_params = [
        {**p, "required": False, "description": f"{p['description']} Default: {DEFAULT_INTERVAL}."}
        if p["name"] == "interval"
        else p
        for p in _parameters(builder, TIMELINE_FIELD)
    ]
    observation_params = _parameters(builder, OBSERVATIONS_FIELD)
    changes_params = _parameters(builder, CHANGES_FIELD)
    svg = {"image/svg+xml": {"schema": {"type": "string"}}}
    return {
        "/v1/releases/{version}/dataset.zip": {
            "get": {
                "operationId": "getDatasetPackage",
                "summary": "The release as a Frictionless Data Package (zip)",
                "description": "datapackage.json (a Table Schema per CSV: types, allowed values, keys, "
                "foreign keys, descriptions), one CSV per table and link table, dictionary.json, README.md, "
                "LICENSE.md (CC BY 4.0), CITATION.cff and CHANGELOG.md. The same bytes for the same release. "
                "Only the loaded release is served.",
                "parameters": [
                    {
                        "name": "version",
                        "in": "path",
                        "required": True,
                        "description": "The release version, e.g. 0.1.0 (the loaded one).",
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The package.",
                        "headers": _CACHED,
                        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    **_NOT_MODIFIED,
                    **_errors(400, 404, 503),
                },
            }
        },
        "/v1/releases/latest/dataset.zip": {
            "get": {
                "operationId": "getLatestDatasetPackage",
                "summary": "Redirects to the loaded release's package",
                "responses": {
                    "302": {
                        "description": "To /v1/releases/{version}/dataset.zip.",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                    },
                    **_errors(400, 404, 503),
                },
            }
        },
        "/v1/dictionary": {
            "get": {
                "operationId": "getDictionary",
                "summary": "The data dictionary",
                "description": "Every field of every kind of record: type, whether required, allowed values "
                "(enums, with their meaning) and description, generated from the GraphQL schema.",
                "responses": {
                    "200": {
                        "description": "The dictionary.",
                        "headers": _CACHED,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["kinds"],
                                    "properties": {
                                        "about": {"type": "string"},
                                        "kinds": {
                                            "type": "array",
                                            "items": {"type": "object", "additionalProperties": True},
                                        },
                                    },
                                }
                            }
                        },
                    },
                    **_NOT_MODIFIED,
                    **_errors(400),
                },
            }
        },
        "/v1/changes": {
            "get": {
                "operationId": "getChanges",
                "summary": "What changed since a release",
                "description": "Per kind, the slugs the releases loaded after `since` added, changed or "
                "removed (tombstones), net per record, each with the last release that touched it. As "
                "GraphQL's `changes(since:)`.",
                "parameters": changes_params,
                "responses": {
                    "200": {
                        "description": "The changes.",
                        "headers": _CACHED,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["since", "release", "kinds"],
                                    "properties": {
                                        "since": {"type": ["string", "null"]},
                                        "release": {"type": ["string", "null"]},
                                        "kinds": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "required": ["kind", "added", "changed", "removed"],
                                                "properties": {
                                                    "kind": {"type": "string"},
                                                    "added": _RECORDS,
                                                    "changed": _RECORDS,
                                                    "removed": _RECORDS,
                                                },
                                            },
                                        },
                                    },
                                }
                            }
                        },
                    },
                    **_NOT_MODIFIED,
                    **_errors(400, 404, 503, 504),
                },
            }
        },
        "/v1/metrics/{slug}.csv": {
            "get": {
                "operationId": "getMetricCsv",
                "summary": "A metric's observations as CSV",
                "description": "Columns: entity, date, value, unit, source, then entity_name, "
                "date_precision, "
                "source_url, confidence, note.",
                "parameters": [_SLUG, *observation_params],
                "responses": {
                    "200": {
                        "description": "The CSV.",
                        "headers": _CACHED,
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    **_NOT_MODIFIED,
                    **_errors(400, 404, 414, 503, 504),
                },
            }
        },
        "/v1/metrics/{slug}.metadata.json": {
            "get": {
                "operationId": "getMetricMetadata",
                "summary": "A metric's metadata",
                "description": "Description, unit, sources, licence, citation, the release that last "
                "updated it, entities and date range.",
                "parameters": [_SLUG],
                "responses": {
                    "200": {
                        "description": "The metadata.",
                        "headers": _CACHED,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": [
                                        "slug",
                                        "name",
                                        "description",
                                        "unit",
                                        "sources",
                                        "licence",
                                        "lastUpdated",
                                    ],
                                    "additionalProperties": True,
                                }
                            }
                        },
                    },
                    **_NOT_MODIFIED,
                    **_errors(400, 404, 503, 504),
                },
            }
        },
        "/v1/metrics/{slug}.svg": {
            "get": {
                "operationId": "getMetricChart",
                "summary": "A metric as a chart (SVG), a line per entity",
                "parameters": [_SLUG, *observation_params],
                "responses": {
                    "200": {"description": "The chart.", "headers": _CACHED, "content": svg},
                    **_NOT_MODIFIED,
                    **_errors(400, 404, 414, 503, 504),
                },
            }
        },
        "/v1/timeline.svg": {
            "get": {
                "operationId": "getTimelineChart",
                "summary": "The cooperation index and events by stance, as a chart (SVG)",
                "description": "Bars: events per period by stance; line: the cooperation index. Filters "
                "as on `/v1/timeline` (GraphQL `timeline(filter:)`).",
                "parameters": timeline_params,
                "responses": {
                    "200": {"description": "The chart.", "headers": _CACHED, "content": svg},
                    **_NOT_MODIFIED,
                    **_errors(400, 414, 503, 504),
                },
            }
        },
    }
