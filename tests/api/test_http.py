"""The HTTP surface: GraphiQL, GET and POST, CORS, request ids, health and readiness."""

from __future__ import annotations

from api.settings import Settings
from tests.conftest import Databases, Service, running_service


async def test_graphiql_for_browsers(service: Service) -> None:
    response = await service.client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_get_and_post_queries(service: Service) -> None:
    get = await service.client.get(
        "/graphql",
        params={"query": "{ topics { totalCount } }"},
        headers={"accept": "application/json"},
    )
    assert get.status_code == 200
    assert get.json() == {"data": {"topics": {"totalCount": 3}}}
    post = await service.client.post("/graphql", json={"query": "{ topics { totalCount } }"})
    assert post.json() == get.json()


async def test_cors_allows_other_origins(service: Service) -> None:
    preflight = await service.client.options(
        "/graphql",
        headers={
            "origin": "https://frontend.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://frontend.example")
    response = await service.client.post(
        "/graphql",
        json={"query": "{ topics { totalCount } }"},
        headers={"origin": "https://frontend.example"},
    )
    assert response.headers["access-control-allow-origin"] == "*"


async def test_request_id_is_echoed_or_made(service: Service) -> None:
    given = await service.client.get("/health", headers={"x-request-id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await service.client.get("/health")
    assert len(made.headers["x-request-id"]) == 32
    again = await service.client.get("/health")
    assert again.headers["x-request-id"] != made.headers["x-request-id"]


async def test_health_and_ready(service: Service) -> None:
    assert (await service.client.get("/health")).json() == {"status": "ok"}
    ready = await service.client.get("/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_ready_is_503_when_postgres_is_gone(
    settings: Settings, databases: Databases, fresh_url: str
) -> None:
    async with running_service(settings, fresh_url) as service:
        await databases.drop(fresh_url)  # drops with (force): the pool's connections die
        ready = await service.client.get("/ready")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "reason": "the database does not answer"}
        assert (await service.client.get("/health")).status_code == 200
        body = (await service.client.post("/graphql", json={"query": "{ events { totalCount } }"})).json()
        assert body["errors"][0]["message"].startswith("Internal server error")
        assert "asyncpg" not in str(body) and "Traceback" not in str(body)
