"""The REST face under /v1/: routes, parameters, documents, formats and OpenAPI."""
