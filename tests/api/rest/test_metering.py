"""REST routes spend the same rate limit as GraphQL, through the same engine: a route's document
spends its cost, an answer from the cache or a 304 spends 1, a refusal is a 429 problem with
RATE_LIMITED and Retry-After and spends nothing, an unknown API key is a 401 problem; the files
and charts routes are charged the same way; one budget serves both faces."""

from __future__ import annotations

from pydantic import SecretStr

from api.engine import Engine
from api.release_tag import ReleaseTag
from api.rest.resources import RESOURCES
from api.rest.routes import RestEndpoint
from api.settings import Settings
from schema.build import build_schema
from tests.api.test_ratelimit import TEN_EVENTS, _limited, _remaining
from tests.conftest import running_service

BUDGET = 10_000


def _page_cost(settings: Settings, limit: int) -> int:
    """What the engine charges for /v1/events?limit=…: the cost of the route's GraphQL document."""
    engine = Engine(build_schema(settings.query_limits()), ReleaseTag(), settings)
    events = next(r for r in RESOURCES if r.path == "/v1/events")
    document = RestEndpoint(events, engine).document(frozenset(), False)
    return engine.cost(document.query, {"first": limit}, None)


async def test_rest_routes_spend_their_cost_and_cached_answers_spend_one(settings: Settings, fresh_url: str) -> None:
    cost = _page_cost(settings, 5)
    assert cost > 1
    async with running_service(_limited(settings, BUDGET), fresh_url) as service:
        client = service.client
        first = await client.get("/v1/events", params={"limit": 5})
        assert first.status_code == 200 and first.headers["detente-cache"] == "miss"
        left = _remaining(first)
        assert left == BUDGET - cost
        cached = await client.get("/v1/events", params={"limit": 5})
        assert cached.headers["detente-cache"] == "local" and _remaining(cached) == left - 1
        validated = await client.get(
            "/v1/events", params={"limit": 5}, headers={"if-none-match": cached.headers["etag"]}
        )
        assert validated.status_code == 304 and _remaining(validated) == left - 2
        unknown = await client.get("/v1/events", params={"colour": "red"})
        assert unknown.status_code == 400 and _remaining(unknown) == left - 3  # ran nothing: 1

        chart = await client.get("/v1/timeline.svg")
        assert chart.status_code == 200 and _remaining(chart) < left - 3, "a chart runs a document"
        again = await client.get("/v1/timeline.svg")
        assert again.headers["detente-cache"] == "local" and _remaining(again) == _remaining(chart) - 1

        graphql = await client.post("/graphql", json={"query": TEN_EVENTS})
        assert _remaining(graphql) == _remaining(again) - 10, "one budget for both faces"


async def test_a_rest_request_over_budget_is_a_429_problem_and_spends_nothing(
    settings: Settings, fresh_url: str
) -> None:
    cost = _page_cost(settings, 5)
    keys = SecretStr("alpha=100000")
    async with running_service(_limited(settings, cost + 1, rate_limit_keys=keys), fresh_url) as service:
        client = service.client
        assert _remaining(await client.get("/v1/events", params={"limit": 5})) == 1
        refused = await client.get("/v1/events", params={"limit": 4})
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        body = refused.json()
        assert body["code"] == "RATE_LIMITED" and body["status"] == 429 and body["requestId"]
        assert int(refused.headers["retry-after"]) > 0
        assert _remaining(refused) == 1, "a refused request spends nothing"
        assert (await client.get("/v1/metrics/no-such-metric.csv")).status_code == 429

        keyed = await client.get("/v1/events", params={"limit": 4}, headers={"x-api-key": "alpha"})
        assert keyed.status_code == 200, "a key has its own budget"
        stranger = await client.get("/v1/events", headers={"x-api-key": "gamma"})
        assert stranger.status_code == 401 and stranger.json()["code"] == "API_KEY_INVALID"
        assert "gamma" not in stranger.text


async def test_without_a_rate_limit_rest_answers_carry_no_quota(settings: Settings, fresh_url: str) -> None:
    async with running_service(settings, fresh_url) as service:
        answer = await service.client.get("/v1/events", params={"limit": 5})
        assert answer.status_code == 200
        assert "ratelimit" not in answer.headers and "ratelimit-policy" not in answer.headers
