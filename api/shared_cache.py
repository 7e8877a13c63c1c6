"""Caches shared by every replica through Redis (`REDIS_URL`), with the process's own bounded cache
in front of them and in their stead whenever Redis is away.

Redis is a helper, never a dependency: every call has a deadline (`REDIS_TIMEOUT_MS`, 50 ms), and a
call that fails or runs out of time marks Redis down. While it is down no request waits for it —
calls are not even tried — and one probe per back-off interval (0.5 s doubling to 10 s) finds out
whether it is back. Going down and coming back are logged once each and counted (`RedisStats`).

Bounds in Redis. A shared server's `maxmemory` is not ours to set, so each cache bounds itself:
its keys live under one namespace (`<REDIS_PREFIX>{<name>}:`), every value expires after a TTL
from its last use, and an index (a sorted set of last use, a hash of sizes, a byte counter)
evicts the least recently used entries in the same Lua script that stores one, until the
namespace holds at most its entries and bytes. A value over the byte budget is not stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import orjson
import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from schema.bounded import BoundedCache

logger = logging.getLogger("detente.redis")

T = TypeVar("T")
V = TypeVar("V")
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 10.0
MAX_CONNECTIONS = 64  # per process; a call that finds none free waits within its deadline


class RedisDown(Exception):
    """Redis did not answer (or is known to be away): use the process's own state."""


@dataclass
class RedisStats:
    """Counters of one process's use of Redis (for /metrics and the cluster run)."""

    up: bool = False  # the last call answered
    calls: int = 0  # calls tried
    failures: int = 0  # calls that failed or passed their deadline
    outages: int = 0  # times Redis went from answering to not
    skipped: int = 0  # calls not tried because Redis was down (the fallback served)
    probes: int = 0  # calls tried while down, to see whether Redis was back

    def as_dict(self) -> dict[str, int | bool]:
        return asdict(self)


class RedisLink:
    """One Redis client with a deadline on every call and a memory of being down."""

    def __init__(self, url: str, prefix: str, timeout_ms: int) -> None:
        self.prefix = prefix
        self.timeout_s = timeout_ms / 1000
        # No retries inside redis-py: a failed call is a fallback, not a wait.
        self.client: redis.Redis = redis.Redis.from_url(
            url,
            socket_timeout=self.timeout_s,
            socket_connect_timeout=self.timeout_s,
            retry=Retry(NoBackoff(), 0),
            max_connections=MAX_CONNECTIONS,
        )
        self.stats = RedisStats()
        self._down = False
        self._retry_at = 0.0
        self._backoff = RETRY_FIRST_S
        self._probing = False

    def script(self, source: str) -> Any:
        """A Lua script, run by its SHA (and loaded again after Redis restarts)."""
        return self.client.register_script(source)

    async def run(self, call: Callable[[redis.Redis], Awaitable[T]]) -> T:
        """The call's result; RedisDown when Redis is away or the call fails or is too slow."""
        probe = False
        if self._down:
            if self._probing or time.monotonic() < self._retry_at:
                self.stats.skipped += 1
                raise RedisDown
            self._probing = probe = True
            self.stats.probes += 1
        self.stats.calls += 1
        try:
            async with asyncio.timeout(self.timeout_s):
                result = await call(self.client)
        except (RedisError, OSError, TimeoutError) as error:
            self._failed(error)
            raise RedisDown from None
        finally:
            if probe:
                self._probing = False
        if self._down:
            logger.info("redis is back; sharing caches and rate limits again")
            self._down = False
            self._backoff = RETRY_FIRST_S
        self.stats.up = True
        return result

    def _failed(self, error: BaseException) -> None:
        self.stats.failures += 1
        self.stats.up = False
        if not self._down:
            self.stats.outages += 1
            logger.warning(
                "redis unavailable; using this process's caches and rate limits until it returns",
                extra={"error": type(error).__name__},
            )
            self._down = True
            self._backoff = RETRY_FIRST_S
        else:
            self._backoff = min(self._backoff * 2, RETRY_MAX_S)
        self._retry_at = time.monotonic() + self._backoff

    async def close(self) -> None:
        await self.client.aclose()


# KEYS: index (zset of last use), sizes (hash), bytes (counter). ARGV: now ms, ttl ms, max
# entries, max bytes, value key prefix, member, value. Drops entries past their TTL (their values
# expired by themselves), stores the value, then evicts the least recently used over the bounds.
_PUT = """
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local max_entries, max_bytes = tonumber(ARGV[3]), tonumber(ARGV[4])
local prefix, member, value = ARGV[5], ARGV[6], ARGV[7]
local function drop(m)
  local size = tonumber(redis.call('HGET', KEYS[2], m) or '0')
  redis.call('HDEL', KEYS[2], m)
  redis.call('ZREM', KEYS[1], m)
  redis.call('DEL', prefix .. m)
  redis.call('DECRBY', KEYS[3], size)
end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - ttl, 'LIMIT', 0, 100)) do
  drop(m)
end
if redis.call('HEXISTS', KEYS[2], member) == 1 then drop(member) end
redis.call('SET', prefix .. member, value, 'PX', ttl)
-- Last-use times in ms, kept strictly increasing so that uses in one millisecond keep their order.
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2]
redis.call('ZADD', KEYS[1], math.max(now, (tonumber(last) or 0) + 1), member)
redis.call('HSET', KEYS[2], member, string.len(value))
local total = redis.call('INCRBY', KEYS[3], string.len(value))
local count = redis.call('ZCARD', KEYS[1])
while count > 0 and (count > max_entries or total > max_bytes) do
  drop(redis.call('ZRANGE', KEYS[1], 0, 0)[1])
  count = count - 1
  total = tonumber(redis.call('GET', KEYS[3]) or '0')
end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
return count
"""

# KEYS: index, value. ARGV: now ms, ttl ms, member. A hit counts as a use.
_GET = """
local value = redis.call('GET', KEYS[2])
if value then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2]
  redis.call('ZADD', KEYS[1], 'XX', math.max(tonumber(ARGV[1]), (tonumber(last) or 0) + 1), ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return value
"""


@dataclass
class CacheStats:
    """Counters of one cache in one process."""

    local_hits: int = 0  # answered from this process's memory
    shared_hits: int = 0  # answered from Redis (put there by any replica)
    misses: int = 0
    stores: int = 0
    shared_stores: int = 0  # stores that reached Redis

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Codec(Generic[V]):
    """How a cache's values are written to Redis and read back, and what one weighs in the
    process's own cache (which keeps the values themselves, so a local hit decodes nothing)."""

    encode: Callable[[V], bytes]
    decode: Callable[[bytes], V]
    size: Callable[[V], int]


def _same(value: bytes) -> bytes:
    return value


BYTES: Codec[bytes] = Codec(_same, _same, len)


class SharedCache(Generic[V]):
    """Values by string key: this process's bounded cache first, then Redis (when configured and
    answering), which is filled on every store; without Redis, exactly the process's cache."""

    def __init__(
        self,
        name: str,
        local: BoundedCache[str, V],
        link: RedisLink | None = None,
        max_entries: int = 0,
        max_bytes: int = 0,
        ttl_s: int = 86_400,
        *,
        codec: Codec[V],
    ) -> None:
        self.local = local
        self.codec = codec
        self.link = link
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl_ms = ttl_s * 1000
        self.stats = CacheStats()
        base = f"{link.prefix if link else ''}{{{name}}}:"
        self._index, self._sizes, self._bytes, self._values = (
            base + "index",
            base + "sizes",
            base + "bytes",
            base + "v:",
        )
        self._put = link.script(_PUT) if link else None
        self._get = link.script(_GET) if link else None

    async def get(self, key: str) -> tuple[V | None, str]:
        """The value and where it came from: "local", "shared" or "miss"."""
        value = self.local.get(key)
        if value is not None:
            self.stats.local_hits += 1
            return value, "local"
        if self.link is not None and self._get is not None and self.max_entries > 0:
            script = self._get
            now = int(time.time() * 1000)
            try:
                found = await self.link.run(
                    lambda _: script(keys=[self._index, self._values + key], args=[now, self.ttl_ms, key])
                )
            except RedisDown:
                found = None
            if isinstance(found, bytes):
                self.stats.shared_hits += 1
                value = self.codec.decode(found)
                self.local.put(key, value, self.codec.size(value) + len(key))
                return value, "shared"
        self.stats.misses += 1
        return None, "miss"

    async def put(self, key: str, value: V) -> None:
        self.stats.stores += 1
        self.local.put(key, value, self.codec.size(value) + len(key))
        if self.link is None or self._put is None or self.max_entries == 0:
            return
        encoded = self.codec.encode(value)  # only for Redis: the process keeps the value itself
        if len(encoded) > self.max_bytes:
            return
        script = self._put
        now = int(time.time() * 1000)
        args = [now, self.ttl_ms, self.max_entries, self.max_bytes, self._values, key, encoded]
        try:
            await self.link.run(lambda _: script(keys=[self._index, self._sizes, self._bytes], args=args))
        except RedisDown:
            return
        self.stats.shared_stores += 1

    def clear_local(self) -> None:
        self.local.clear()


@dataclass(frozen=True)
class Kept:
    """An error-free answer kept in the response cache: its ETag, the bytes sent, and the headers
    that go with them (a REST page's `Link` and `X-Total-Count`, a file's disposition). One
    object is handed to every request the process answers from it, so its headers are read-only."""

    etag: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # made read-only below

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))


def _encode_kept(kept: Kept) -> bytes:
    # orjson writes no newline, so the first two separate the ETag and headers from the body.
    return kept.etag.encode() + b"\n" + orjson.dumps(dict(kept.headers)) + b"\n" + kept.body


def _decode_kept(raw: bytes) -> Kept:
    etag, _, rest = raw.partition(b"\n")
    headers, _, body = rest.partition(b"\n")
    return Kept(etag.decode(), body, orjson.loads(headers))


def _kept_size(kept: Kept) -> int:
    return len(kept.body) + len(kept.etag) + sum(len(k) + len(v) for k, v in kept.headers.items())


# Answers as Redis holds them: ETag, headers and body in one value. The process keeps the Kept
# itself: decoding a hit copied its body twice, and encoding a store once (a page of 50 events,
# 124 KB: 0.18 ms of a REST page's 6.5 ms CPU on this machine, measured in process).
KEPT: Codec[Kept] = Codec(_encode_kept, _decode_kept, _kept_size)


class ResponseCache:
    """Cacheable answers by request key, in a SharedCache: GraphQL GETs and REST answers alike."""

    def __init__(self, shared: SharedCache[Kept]) -> None:
        self.shared = shared

    async def get(self, key: str) -> tuple[Kept | None, str]:
        return await self.shared.get(key)

    async def put(self, key: str, kept: Kept) -> None:
        await self.shared.put(key, kept)

    def clear_local(self) -> None:
        self.shared.clear_local()
