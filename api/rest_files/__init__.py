"""The dataset as files, what changed between releases, and charts (issue 11, sections 3–5, 7).

`routes(engine, assets)` gives the Starlette routes (rest_api's `extra_routes`: mounted before the
other /v1 routes), and `openapi_paths` the OpenAPI 3.1 path items for them (rest_api's
`extra_paths`, built with the document's own builder)."""

from __future__ import annotations

from api.rest_files.openapi import openapi_paths
from api.rest_files.routes import routes

__all__ = ["openapi_paths", "routes"]
