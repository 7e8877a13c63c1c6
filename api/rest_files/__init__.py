"""The dataset as files, what changed between releases, and charts (issue 11, sections 3–5, 7).

`routes(schema, settings)` gives the Starlette routes (mount them before the other /v1 routes);
`OPENAPI_PATHS` the OpenAPI 3.1 path items for them (built on first use, from the schema), and
`PROBLEM_SCHEMA` the problem+json component they refer to (`#/components/schemas/Problem`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from api.rest_files.openapi import PROBLEM_SCHEMA, openapi_paths
from api.rest_files.routes import routes

OPENAPI_PATHS: dict[str, dict[str, Any]]


@lru_cache(maxsize=1)
def _openapi_paths() -> dict[str, dict[str, Any]]:
    from schema.build import build_schema

    return openapi_paths(build_schema()._schema)


def __getattr__(name: str) -> Any:
    if name == "OPENAPI_PATHS":
        return _openapi_paths()
    raise AttributeError(name)


__all__ = ["OPENAPI_PATHS", "PROBLEM_SCHEMA", "routes"]
