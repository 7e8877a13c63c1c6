"""Rate limits by query cost, as GitHub's API counts them: each client has a budget of points per
fixed window (`RATE_LIMIT_POINTS` per `RATE_LIMIT_WINDOW_S`), and a query spends its cost (the
number `schema/cost.py` computes, at least 1); an answer from the cache, a 304 or a refused
request spends 1. A request that would overspend is refused (429) and spends nothing.

A client is its API key when it presents one (`X-API-Key` or `Authorization: Bearer`; each key
with its own budget, from `RATE_LIMIT_KEYS` or `RATE_LIMIT_KEYS_FILE`), else its address (an IPv6
address by its /64, which one host usually holds whole). `X-Forwarded-For` is read only from a
peer in `TRUSTED_PROXIES`.

Counts live in Redis when it is configured — one atomic Lua script per charge, shared by every
replica — and in this process otherwise, or while Redis is down (each replica then enforces the
budget on its own). Headers follow the IETF httpapi ratelimit-headers draft (-10):
`RateLimit-Policy: "cost";q=5000;w=60;qu="points"` and `RateLimit: "cost";r=4950;t=42`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.problems import problem
from api.settings import Settings
from api.shared_cache import RedisDown, RedisLink
from schema.bounded import BoundedCache

POLICY = "cost"
LOCAL_CLIENTS = 100_000  # clients this process counts for at once (least recently seen dropped)
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# KEYS: the client's counter for this window. ARGV: points, budget, window ms.
# Returns {spent (1) or refused (0), points used in the window, ms until the window ends}.
_SPEND = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local points, budget = tonumber(ARGV[1]), tonumber(ARGV[2])
if used + points > budget then
  return {0, used, redis.call('PTTL', KEYS[1])}
end
used = redis.call('INCRBY', KEYS[1], points)
if used == points then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, used, redis.call('PTTL', KEYS[1])}
"""


class UnknownKey(Exception):
    """An API key was presented that the service does not know."""


@dataclass(frozen=True)
class Client:
    id: str  # what the counts are kept by: "ip:…" or "key:<hash of the key>"
    budget: int


@dataclass(frozen=True)
class Quota:
    allowed: bool
    budget: int
    remaining: int
    reset_s: int  # seconds until the window ends
    window_s: int
    points: int  # what the request was charged (or would have been)

    def headers(self) -> dict[str, str]:
        return {
            "ratelimit-policy": f'"{POLICY}";q={self.budget};w={self.window_s};qu="points"',
            "ratelimit": f'"{POLICY}";r={self.remaining};t={self.reset_s}',
        }


@dataclass
class RateLimitStats:
    """Counters of one process's rate limiting (for /metrics and the cluster run)."""

    charged: int = 0  # requests charged
    points: int = 0  # points spent
    refused: int = 0  # requests refused (429)
    shared: int = 0  # charges counted in Redis
    local: int = 0  # charges counted in this process (no Redis, or Redis down)
    unknown_keys: int = 0  # requests with a key the service does not know (401)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def parse_keys(text: str) -> dict[str, int]:
    """`key=points,key2=points` (the environment) or a JSON object {key: points} (the file)."""
    text = text.strip()
    if text.startswith("{"):
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("API keys must be a JSON object of key -> points")
        return {str(k): int(v) for k, v in raw.items()}
    keys = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, sep, points = item.rpartition("=")
        if not sep or not key:
            raise ValueError("RATE_LIMIT_KEYS is `key=points` pairs separated by commas")
        keys[key] = int(points)
    return keys


def _networks(entries: list[str]) -> list[_Network]:
    return [ipaddress.ip_network(e, strict=False) for e in entries]


class RateLimiter:
    def __init__(
        self,
        points: int,
        window_s: int,
        link: RedisLink | None = None,
        keys: Mapping[str, int] | None = None,
        trusted_proxies: list[str] | None = None,
    ) -> None:
        self.points = points
        self.window_s = window_s
        self.link = link
        self._keys = {hashlib.sha256(k.encode()).hexdigest(): v for k, v in (keys or {}).items()}
        self._trusted = _networks(trusted_proxies or [])
        self._local: BoundedCache[str, tuple[int, int]] = BoundedCache(LOCAL_CLIENTS, LOCAL_CLIENTS * 200)
        self._spend = link.script(_SPEND) if link else None
        self.stats = RateLimitStats()

    @classmethod
    def from_settings(cls, settings: Settings, link: RedisLink | None) -> RateLimiter | None:
        """None when rate limits are off (`RATE_LIMIT_POINTS=0`)."""
        if settings.rate_limit_points == 0:
            return None
        keys: dict[str, int] = {}
        if settings.rate_limit_keys_file is not None:
            keys.update(parse_keys(settings.rate_limit_keys_file.read_text(encoding="utf-8")))
        if settings.rate_limit_keys is not None:
            keys.update(parse_keys(settings.rate_limit_keys.get_secret_value()))
        return cls(
            settings.rate_limit_points, settings.rate_limit_window_s, link, keys, settings.trusted_proxies
        )

    def client(self, request: Request) -> Client:
        """Who is asking; raises UnknownKey for a key the service does not know."""
        key = request.headers.get("x-api-key")
        if key is None:
            scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                key = credentials.strip()
        if key is not None:
            digest = hashlib.sha256(key.encode()).hexdigest()
            budget = self._keys.get(digest)
            if budget is None:
                self.stats.unknown_keys += 1
                raise UnknownKey
            return Client(f"key:{digest[:32]}", budget)
        return Client(f"ip:{self.address(request)}", self.points)

    def address(self, request: Request) -> str:
        """The client's address: the peer's, or — from a trusted proxy — the last address in
        `X-Forwarded-For` that is not itself a trusted proxy."""
        peer = request.client.host if request.client else "unknown"
        if self._trusted and self._is_trusted(peer):
            hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
            for hop in reversed([h for h in hops if h][:64]):
                if not self._is_trusted(hop):
                    return _grouped(hop)
        return _grouped(peer)

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._trusted)

    async def spend(self, client: Client, points: int) -> Quota:
        points = max(points, 1)
        now = time.time()
        window_ms = self.window_s * 1000
        start = math.floor(now / self.window_s) * self.window_s  # windows end on the same second everywhere
        reset_s = max(1, math.ceil(start + self.window_s - now))
        used: int | None = None
        allowed = False
        if self.link is not None and self._spend is not None:
            script = self._spend
            key = f"{self.link.prefix}ratelimit:{client.id}:{int(start)}"
            try:
                answer: Any = await self.link.run(
                    lambda _: script(keys=[key], args=[points, client.budget, window_ms])
                )
                allowed, used = bool(answer[0]), int(answer[1])
                if int(answer[2]) > 0:
                    reset_s = max(1, math.ceil(int(answer[2]) / 1000))
                self.stats.shared += 1
            except RedisDown:
                used = None
        if used is None:
            self.stats.local += 1
            allowed, used = self._spend_locally(client, points, int(start))
        self.stats.charged += 1
        if allowed:
            self.stats.points += points
        else:
            self.stats.refused += 1
        return Quota(allowed, client.budget, max(client.budget - used, 0), reset_s, self.window_s, points)

    def _spend_locally(self, client: Client, points: int, start: int) -> tuple[bool, int]:
        window, used = self._local.get(client.id) or (start, 0)
        if window != start:
            used = 0
        if used + points > client.budget:
            self._local.put(client.id, (start, used), 100 + len(client.id))
            return False, used
        used += points
        self._local.put(client.id, (start, used), 100 + len(client.id))
        return True, used


def _grouped(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def refusal_message(quota: Quota) -> str:
    if quota.points > quota.budget:
        return (
            f"this request costs {quota.points} points, more than the whole budget of {quota.budget} "
            f"per {quota.window_s} s; ask for smaller pages"
        )
    return (
        f"rate limit reached: this request costs {quota.points} points and {quota.remaining} of "
        f"{quota.budget} are left in this {quota.window_s} s window; try again in {quota.reset_s} s"
    )


def rate_limited_problem(request: Request, quota: Quota) -> Response:
    """The 429 of a REST route (problem+json, code RATE_LIMITED), with the quota and Retry-After.
    A route charges with `limiter.spend(limiter.client(request), points)` and sends
    `quota.headers()` on every answer."""
    return problem(
        request,
        429,
        "RATE_LIMITED",
        refusal_message(quota),
        {**quota.headers(), "retry-after": str(quota.reset_s)},
        limit=quota.budget,
        cost=quota.points,
    )
