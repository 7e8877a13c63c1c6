"""Rate limits on the REST face, as on GraphQL (api/ratelimit.py): the client is identified before
the route runs (an unknown API key is a 401), each GraphQL document a route runs is charged its
cost by the engine (a stream, page by page), an answer that ran nothing (from the cache, a 304, a
refusal) is charged 1, and every answer carries the `RateLimit` headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from api.engine import Engine, RateLimited
from api.problems import problem
from api.ratelimit import UnknownKey, rate_limited_problem

Endpoint = Callable[[Request], Awaitable[Response]]


def metered(engine: Engine, endpoint: Endpoint) -> Endpoint:
    """`endpoint`, charged to its client's budget (unchanged without a rate limit)."""
    limiter = engine.limiter
    if limiter is None:
        return endpoint

    async def charged(request: Request) -> Response:
        try:
            request.state.client = limiter.client(request)
        except UnknownKey:
            return problem(request, 401, "API_KEY_INVALID", "the API key is not known to this service")
        try:
            response = await endpoint(request)
            await engine.settle(request)
        except RateLimited as refused:
            return rate_limited_problem(request, refused.quota)
        quota = engine.quota(request)
        if quota is not None:
            response.headers.update(quota.headers())
        return response

    return charged
