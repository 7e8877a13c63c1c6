"""Starlette's own refusals answer JSON with a stable code and the request id, like the rest."""

from __future__ import annotations

import pytest

from tests.conftest import Service


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/no/such/page", 404, "NOT_FOUND"),
        ("GET", "/static/graphiql/graphiql.min.js", 404, "NOT_FOUND"),
        ("POST", "/health", 405, "METHOD_NOT_ALLOWED"),
        ("DELETE", "/metrics", 405, "METHOD_NOT_ALLOWED"),
    ],
)
async def test_routing_refusals_are_json_with_a_code(
    service: Service, method: str, path: str, status: int, code: str
) -> None:
    response = await service.client.request(method, path, headers={"x-request-id": "refused-1"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": code, "requestId": "refused-1"}
    if status == 405:
        assert "GET" in response.headers["allow"]
