"""Rate limits by query cost: a query spends its cost, a cached answer or a 304 spends 1, a refusal
is 429 with Retry-After and RATE_LIMITED and spends nothing; API keys have their own budgets;
X-Forwarded-For counts only from trusted proxies; with Redis the budget is shared by replicas."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from pydantic import SecretStr
from starlette.requests import Request

from api.ratelimit import Client, RateLimiter, parse_keys, rate_limited_problem
from api.settings import Settings
from bench.redisserver import redis_server
from tests.conftest import running_service

WINDOW = 1_000_000  # seconds: no window ends during a test
POLICY = re.compile(r'^"cost";q=(\d+);w=(\d+);qu="points"$')
STATE = re.compile(r'^"cost";r=(\d+);t=(\d+)$')
TEN_EVENTS = "{ events(first: 10) { nodes { title } } }"  # cost 10: one page of 10
FIFTY_EVENTS_WITH_ACTORS = "{ events(first: 50) { nodes { actors(first: 5) { nodes { name } } } } }"  # 50 + 50 × 5


def _limited(settings: Settings, points: int, **more: object) -> Settings:
    return settings.model_copy(update={"rate_limit_points": points, "rate_limit_window_s": WINDOW, **more})


def _remaining(response: httpx.Response) -> int:
    policy = POLICY.match(response.headers["ratelimit-policy"])
    state = STATE.match(response.headers["ratelimit"])
    assert policy and state, response.headers
    assert int(policy[2]) == WINDOW and 0 < int(state[2]) <= WINDOW
    return int(state[1])


async def test_queries_spend_their_cost_and_cached_answers_spend_one(settings: Settings, fresh_url: str) -> None:
    async with running_service(_limited(settings, 400), fresh_url) as service:
        client = service.client
        first = await client.post("/graphql", json={"query": TEN_EVENTS})
        assert first.status_code == 200 and _remaining(first) == 390
        assert POLICY.match(first.headers["ratelimit-policy"])[1] == "400"  # type: ignore[index]
        costly = await client.post("/graphql", json={"query": FIFTY_EVENTS_WITH_ACTORS})
        assert _remaining(costly) == 90

        fresh = await client.get("/graphql", params={"query": TEN_EVENTS})
        assert fresh.headers["detente-cache"] == "miss" and _remaining(fresh) == 80
        cached = await client.get("/graphql", params={"query": TEN_EVENTS})
        assert cached.headers["detente-cache"] == "local" and _remaining(cached) == 79
        validated = await client.get(
            "/graphql", params={"query": TEN_EVENTS}, headers={"if-none-match": cached.headers["etag"]}
        )
        assert validated.status_code == 304 and _remaining(validated) == 78
        bad = await client.post("/graphql", content=b"{", headers={"content-type": "application/json"})
        assert bad.status_code == 400 and _remaining(bad) == 77  # an answer that ran nothing spends 1

        refused = await client.post("/graphql", json={"query": FIFTY_EVENTS_WITH_ACTORS})
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/json")
        body = refused.json()
        assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED" and "data" not in body
        assert "costs 300 points" in body["errors"][0]["message"]
        assert int(refused.headers["retry-after"]) == int(STATE.match(refused.headers["ratelimit"])[2])  # type: ignore[index]
        assert _remaining(refused) == 77, "a refused request spends nothing"
        assert refused.headers["x-request-id"]
        assert (await client.post("/graphql", json={"query": TEN_EVENTS})).status_code == 200

        whole = await client.post("/graphql", json={"query": "{ events(first: 100) { nodes { actors(first: 100) { nodes { name } } } } }"})
        assert whole.status_code == 429 and "more than the whole budget" in whole.json()["errors"][0]["message"]
        stats = (await client.get("/cluster/stats")).json()["rate_limit"]
        assert stats["enabled"] and stats["refused"] == 2 and stats["local"] == stats["charged"]


async def test_api_keys_have_their_own_budgets(settings: Settings, fresh_url: str, tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    keys_file.write_text('{"from-file": 70}')
    limited = _limited(settings, 100, rate_limit_keys=SecretStr("alpha=50,beta=5000"), rate_limit_keys_file=keys_file)
    async with running_service(limited, fresh_url) as service:
        client = service.client
        alpha = await client.post("/graphql", json={"query": TEN_EVENTS}, headers={"x-api-key": "alpha"})
        assert POLICY.match(alpha.headers["ratelimit-policy"])[1] == "50" and _remaining(alpha) == 40  # type: ignore[index]
        beta = await client.post("/graphql", json={"query": TEN_EVENTS}, headers={"authorization": "Bearer beta"})
        assert POLICY.match(beta.headers["ratelimit-policy"])[1] == "5000" and _remaining(beta) == 4990  # type: ignore[index]
        filed = await client.post("/graphql", json={"query": TEN_EVENTS}, headers={"x-api-key": "from-file"})
        assert _remaining(filed) == 60
        anonymous = await client.post("/graphql", json={"query": TEN_EVENTS})
        assert _remaining(anonymous) == 90, "keys do not spend the address's budget"
        unknown = await client.post("/graphql", json={"query": TEN_EVENTS}, headers={"x-api-key": "gamma"})
        assert unknown.status_code == 401
        assert unknown.json()["errors"][0]["extensions"]["code"] == "API_KEY_INVALID"
        assert "gamma" not in unknown.text


async def test_forwarded_for_counts_only_from_a_trusted_proxy(settings: Settings, fresh_url: str) -> None:
    forwarded = [{"x-forwarded-for": "203.0.113.7"}, {"x-forwarded-for": "203.0.113.8"}]
    async with running_service(_limited(settings, 100), fresh_url) as service:
        spent = [await service.client.post("/graphql", json={"query": TEN_EVENTS}, headers=h) for h in forwarded]
        assert [_remaining(r) for r in spent] == [90, 80], "untrusted: both are the peer"
    trusting = _limited(settings, 100, trusted_proxies=["127.0.0.0/8"])
    async with running_service(trusting, fresh_url) as service:
        spent = [await service.client.post("/graphql", json={"query": TEN_EVENTS}, headers=h) for h in forwarded]
        assert [_remaining(r) for r in spent] == [90, 90], "trusted: two clients"


def _request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "client": (peer, 1234)})


def test_the_client_address() -> None:
    limiter = RateLimiter(10, 60, trusted_proxies=["10.0.0.0/8", "127.0.0.1"])
    assert limiter.address(_request("127.0.0.1", "198.51.100.1, 10.1.2.3")) == "198.51.100.1"
    assert limiter.address(_request("127.0.0.1", "6.6.6.6, 198.51.100.1")) == "198.51.100.1", "the right-most untrusted"
    assert limiter.address(_request("192.0.2.5", "198.51.100.1")) == "192.0.2.5", "an untrusted peer"
    assert limiter.address(_request("127.0.0.1", "not an address")) == "not an address"
    assert limiter.address(_request("2001:db8::1")) == limiter.address(_request("2001:db8::ffff")) == "2001:db8::/64"
    assert limiter.address(_request("::ffff:192.0.2.9")) == "192.0.2.9"
    assert RateLimiter(10, 60).address(_request("127.0.0.1", "198.51.100.1")) == "127.0.0.1"


def test_api_keys_are_read_from_the_environment_or_json() -> None:
    assert parse_keys("a=1, b=2,") == {"a": 1, "b": 2}
    assert parse_keys('{"a": 3}') == {"a": 3}
    assert parse_keys("with=equals=5") == {"with=equals": 5}


async def test_replicas_share_the_budget_through_redis(settings: Settings, fresh_url: str, tmp_path: Path) -> None:
    with redis_server(tmp_path) as server:
        shared = _limited(settings, 100, redis_url=server.url, redis_prefix="rl-test:", redis_timeout_ms=2000)
        async with running_service(shared, fresh_url) as a, running_service(shared, fresh_url) as b:
            assert _remaining(await a.client.post("/graphql", json={"query": TEN_EVENTS})) == 90
            assert _remaining(await b.client.post("/graphql", json={"query": TEN_EVENTS})) == 80
            for _ in range(8):
                await a.client.post("/graphql", json={"query": TEN_EVENTS})
            refused = await b.client.post("/graphql", json={"query": TEN_EVENTS})
            assert refused.status_code == 429 and _remaining(refused) == 0
            assert (await b.client.get("/cluster/stats")).json()["rate_limit"]["shared"] == 2
            with server.client() as r:
                assert [k.decode().rsplit(":", 1)[0] for k in r.keys("rl-test:ratelimit:*")] == ["rl-test:ratelimit:ip:127.0.0.1"]

            server.stop()  # each replica counts on its own until Redis is back
            alone = await a.client.post("/graphql", json={"query": TEN_EVENTS})
            assert alone.status_code == 200 and _remaining(alone) < 100
            assert (await a.client.get("/cluster/stats")).json()["rate_limit"]["local"] >= 1


async def test_a_rest_refusal_is_problem_json() -> None:
    limiter = RateLimiter(5, WINDOW)
    client = Client("ip:192.0.2.1", 5)
    assert (await limiter.spend(client, 5)).allowed
    quota = await limiter.spend(client, 2)
    assert not quota.allowed and quota.remaining == 0
    response = rate_limited_problem(_request("192.0.2.1"), quota)
    assert response.status_code == 429 and response.media_type == "application/problem+json"
    assert response.headers["retry-after"] == str(quota.reset_s)
    assert STATE.match(response.headers["ratelimit"])
    body = json.loads(bytes(response.body))
    assert body["code"] == "RATE_LIMITED" and body["status"] == 429 and body["limit"] == 5
