"""The topology of docker-compose's `cluster` profile on this machine, without Docker
(`make cluster`): two service processes behind a round-robin load balancer, a Redis of the run's
own, a Postgres primary and a streaming replica of it (bench/pgserver.py, the embedded binaries).
Writes bench/CLUSTER.md.

    python -m bench.cluster            # the full run (real release, 8 clients, 5 s faults)
    python -m bench.cluster --short    # what `make test` runs (fixture seeds, 1 s faults)

The load balancer is a few lines of asyncio here (round robin per TCP connection over loopback,
skipping a backend that refuses the connection): no HAProxy or nginx is installed on this machine,
and the compose profile's nginx (deploy/nginx.conf) cannot run without root paths. The services
are bench/chaos.py's `--serve` mode with DATABASE_URL on the primary, DATABASE_READ_URLS on the
replica and REDIS_URL on the run's Redis (the shared caches, rate limits and persisted queries).
Under load (GET and POST of a nested page of events, as bench/chaos.py sends) it stops, in turn,
one service process (SIGTERM, restarted after the fault), the Postgres replica (stopped,
restarted), the Postgres replica again (frozen with SIGSTOP, thawed with SIGCONT) and Redis
(stopped, restarted), and counts for each: answers by status, non-JSON answers (must be 0), wrong
answers (must be 0: every good answer equals the answer to the same request before the faults),
dropped connections, and the seconds to recover. Then it loads a new release into the primary and
measures the seconds until every process answers with it. Cache hit ratios, refused requests and
each database's reads come from each process's `/cluster/stats`.

The rate limit is on: the load presents an API key with a budget it never reaches, so that the
other measures are of the cluster, not of refusals; before the faults a second key with a small
budget (SMALL_BUDGET points per window) sends three times its budget, alternately to each process
directly. With the count shared in Redis both processes together accept one budget and refuse the
rest; counted per process they would accept one budget each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from api.database import with_database
from bench.chaos import PAGE_SIZES, QUERY, REQUEST_TIMEOUT_MS, Answer, _ask, _client_loop, answer_kinds
from bench.pgserver import PgServer, free_port, streaming_pair, wait_replayed
from bench.redisserver import RedisServer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "cluster"
REPORT = ROOT / "bench" / "CLUSTER.md"
FIXTURE_SEEDS = ROOT / "tests" / "fixtures" / "seeds"
RELEASE_SEEDS = ROOT / "seeds"
RELEASE_QUERY = "{ release { contentHash } }"
READ_QUERY = QUERY  # what the load asks: a nested page of events
FOLLOW_TIMEOUT_S = 30.0
RECOVER_TIMEOUT_S = 30.0

# The rate limit of the run (RATE_LIMIT_*). A long window, so that the over-budget client's few
# seconds fall in one window (checked); budgets by API key.
RATE_LIMIT_WINDOW_S = 3600
ADDRESS_BUDGET = 10**9  # clients without a key: the harness's probes and release checks
LOAD_KEY, LOAD_BUDGET = "cluster-load", 10**12  # the load: never reached
SMALL_KEY, SMALL_BUDGET = "cluster-small", 30  # the client the limit is for: 1 point a request
SMALL_REQUESTS = 3 * SMALL_BUDGET
# Each client opens a new connection after this many requests: the balancer spreads connections,
# and without it every client whose connection a stopped process closed stays on the other one.
RECONNECT_EVERY = 50


@dataclass
class Shape:
    first: Path  # loaded before the run
    second: Path  # the release loaded at the end (the follow measurement)
    clients: int
    fault_s: float
    settle_s: float


FULL = Shape(FIXTURE_SEEDS, RELEASE_SEEDS, clients=8, fault_s=5.0, settle_s=3.0)
SHORT = Shape(FIXTURE_SEEDS, RELEASE_SEEDS, clients=4, fault_s=1.0, settle_s=1.0)


class Service:
    """One service process (`python -m bench.chaos --serve PORT`) with the cluster's environment."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with (OUT / f"{self.name}.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.chaos", "--serve", str(self.port)],
                env={**os.environ, **self.env},
                cwd=ROOT,
                stdout=log,
                stderr=log,
            )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: in-flight requests finish
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    async def ready(self, client: httpx.AsyncClient) -> dict[str, Any] | None:
        """Its `/ready`, or None when it is not ready or does not answer."""
        return await self._json(client, "/ready")

    async def stats(self, client: httpx.AsyncClient) -> dict[str, Any] | None:
        """Its `/cluster/stats`, or None when it does not answer."""
        return await self._json(client, "/cluster/stats")

    async def _json(self, client: httpx.AsyncClient, path: str) -> dict[str, Any] | None:
        with contextlib.suppress(httpx.TransportError, ValueError):
            response = await client.get(f"{self.url}{path}")
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body
        return None

    async def wait_ready(self, client: httpx.AsyncClient, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if await self.ready(client) is not None:
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not become ready; see bench/out/cluster/{self.name}.log")


class RoundRobin:
    """A TCP load balancer: each connection goes to the next backend that accepts it."""

    def __init__(self, backends: list[Service]) -> None:
        self.backends = backends
        self.port = free_port()
        self.turn = 0
        self.connections: Counter[str] = Counter()
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        for _ in range(len(self.backends)):
            backend = self.backends[self.turn % len(self.backends)]
            self.turn += 1
            with contextlib.suppress(OSError):
                upstream = await asyncio.open_connection("127.0.0.1", backend.port)
                self.connections[backend.name] += 1
                break
        if upstream is None:
            writer.close()
            return
        up_reader, up_writer = upstream

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(OSError, ConnectionError):
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@dataclass
class Fault:
    name: str
    started: float
    ended: float
    recovered_s: float | None
    answers: list[Answer] = field(default_factory=list)

    def row(self, baseline: dict[int, Any]) -> dict[str, Any]:
        return {
            "fault": self.name,
            "requests": len(self.answers),
            "answers": answer_kinds(self.answers),
            "non_json": sum(1 for a in self.answers if a.status is not None and not a.is_json),
            "wrong": sum(1 for a in self.answers if a.good and a.data != baseline[a.size]),
            "errors": sum(1 for a in self.answers if a.status is not None and not a.good),
            "refused_429": sum(1 for a in self.answers if a.status == 429),
            "dropped": sum(1 for a in self.answers if a.dropped),
            "hung": sum(1 for a in self.answers if a.hung),
            "recovery_s": self.recovered_s,
        }


async def _until(check: Callable[[], Awaitable[bool]], timeout_s: float) -> float | None:
    """Seconds until `check` holds (polled every 50 ms), None past `timeout_s`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if await check():
            return round(time.monotonic() - started, 2)
        await asyncio.sleep(0.05)
    return None


async def _stats(client: httpx.AsyncClient, services: list[Service]) -> list[dict[str, Any]] | None:
    """Each process's `/cluster/stats` (the shared caches' and rate limits' counters), or None
    where the service has no such route (before the Redis-shared caches are merged)."""
    found = []
    for service in services:
        one = await service.stats(client)
        if one is None:
            return None
        found.append(one)
    return found


def _hit_ratio(stats: list[dict[str, Any]] | None) -> dict[str, Any]:
    if stats is None:
        return {"hit_ratio": None}
    cache = Counter[str]()
    for one in stats:
        for key in ("local_hits", "shared_hits", "misses"):
            cache[key] += int(one.get("response_cache", {}).get(key, 0))
    asked = cache["local_hits"] + cache["shared_hits"] + cache["misses"]
    return {
        "hit_ratio": round((cache["local_hits"] + cache["shared_hits"]) / asked, 3) if asked else None,
        **cache,
        "refused": sum(int(one.get("rate_limit", {}).get("refused", 0)) for one in stats),
        "rate_limit_enabled": any(one.get("rate_limit", {}).get("enabled") for one in stats),
    }


def _replica_of(stats: dict[str, Any] | None) -> dict[str, Any] | None:
    """The replica's counters in a process's `/cluster/stats` (`databases`)."""
    for database in (stats or {}).get("databases", []):
        if database["database"] == "replica 1":
            found: dict[str, Any] = database
            return found
    return None


async def _over_budget(probe: httpx.AsyncClient, services: list[Service]) -> dict[str, Any]:
    """SMALL_REQUESTS requests (1 point each) with the small key, alternately to each process
    directly, under the load: what each process accepted and refused, as the client saw it and
    as the process counted it (its `/cluster/stats` before and after)."""
    # A window ending inside this phase would hand the client a second budget: start after it.
    left = RATE_LIMIT_WINDOW_S - time.time() % RATE_LIMIT_WINDOW_S
    if left < 10:
        await asyncio.sleep(left + 0.5)
    window = int(time.time() // RATE_LIMIT_WINDOW_S)
    before = [await s.stats(probe) or {} for s in services]
    seen = {s.name: Counter[str]() for s in services}
    for turn in range(SMALL_REQUESTS):
        service = services[turn % len(services)]
        try:
            response = await probe.post(
                f"{service.url}/graphql", json={"query": RELEASE_QUERY}, headers={"x-api-key": SMALL_KEY}
            )
            kind = {200: "accepted", 429: "refused"}.get(response.status_code, str(response.status_code))
        except httpx.TransportError:
            kind = "no answer"
        seen[service.name][kind] += 1
    after = [await s.stats(probe) or {} for s in services]
    per_process = {}
    for service, one, two in zip(services, before, after, strict=True):
        limit_before, limit_after = one.get("rate_limit", {}), two.get("rate_limit", {})
        per_process[service.name] = {
            "accepted": seen[service.name]["accepted"],
            "refused": seen[service.name]["refused"],
            "other": sum(n for k, n in seen[service.name].items() if k not in ("accepted", "refused")),
            "refused_counted": int(limit_after.get("refused", 0)) - int(limit_before.get("refused", 0)),
            "counted_locally": int(limit_after.get("local", 0)) - int(limit_before.get("local", 0)),
        }
    return {
        "budget": SMALL_BUDGET,
        "requests": SMALL_REQUESTS,
        "one_window": window == int(time.time() // RATE_LIMIT_WINDOW_S),
        "per_process": per_process,
        "accepted": sum(p["accepted"] for p in per_process.values()),
        "refused": sum(p["refused"] for p in per_process.values()),
        "refused_counted": sum(p["refused_counted"] for p in per_process.values()),
    }


async def _release_everywhere(client: httpx.AsyncClient, services: list[Service], expected: str) -> bool:
    for service in services:
        try:
            response = await client.get(f"{service.url}/graphql", params={"query": RELEASE_QUERY})
            if response.json()["data"]["release"]["contentHash"] != expected:
                return False
        except (httpx.TransportError, ValueError, KeyError, TypeError):
            return False
    return True


async def run(shape: Shape) -> dict[str, Any]:
    from db.seed import load_seeds
    from tests.conftest import migrate_and_load

    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.log"):
        old.unlink()
    redis = RedisServer(OUT / "redis")
    redis.start()
    try:
        with streaming_pair(OUT / "pg") as (primary, replica):
            return await _run(shape, primary, replica, redis, migrate_and_load, load_seeds)
    finally:
        redis.stop()


async def _run(
    shape: Shape,
    primary: PgServer,
    replica: PgServer,
    redis: RedisServer,
    migrate_and_load: Callable[[str, Path], Awaitable[None]],
    load_seeds: Callable[..., Awaitable[Any]],
) -> dict[str, Any]:
    conn = await asyncpg.connect(primary.url)
    try:
        await conn.execute("create database detente")
    finally:
        await conn.close()
    primary_db, replica_db = with_database(primary.url, "detente"), with_database(replica.url, "detente")
    await migrate_and_load(primary_db, shape.first)
    await wait_replayed(primary.url, replica.url)
    env = {
        "DATABASE_URL": primary_db,
        "DATABASE_READ_URLS": replica_db,
        "REDIS_URL": redis.url,
        "REQUEST_TIMEOUT_MS": str(REQUEST_TIMEOUT_MS),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "warning"),
        "RATE_LIMIT_POINTS": str(ADDRESS_BUDGET),
        "RATE_LIMIT_WINDOW_S": str(RATE_LIMIT_WINDOW_S),
        "RATE_LIMIT_KEYS": f"{LOAD_KEY}={LOAD_BUDGET},{SMALL_KEY}={SMALL_BUDGET}",
    }
    services = [Service("api-1", env), Service("api-2", env)]
    balancer = RoundRobin(services)
    async with httpx.AsyncClient(timeout=5) as probe:
        try:
            for service in services:
                service.start()
            for service in services:
                await service.wait_ready(probe)
            await balancer.start()
            return await _load(shape, primary, replica, redis, services, balancer, probe, load_seeds)
        finally:
            await balancer.stop()
            for service in services:
                service.stop()


async def _load(
    shape: Shape,
    primary: PgServer,
    replica: PgServer,
    redis: RedisServer,
    services: list[Service],
    balancer: RoundRobin,
    probe: httpx.AsyncClient,
    load_seeds: Callable[..., Awaitable[Any]],
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=balancer.url, timeout=10) as client:
        baseline = {}
        for size in PAGE_SIZES:
            answer = await _ask(client, "POST", size)
            assert answer.good, "the cluster must answer before any fault"
            baseline[size] = answer.data
    answers: list[Answer] = []
    stop = asyncio.Event()
    loops = [
        asyncio.ensure_future(
            _client_loop(
                balancer.url,
                stop,
                answers.append,
                i,
                headers={"x-api-key": LOAD_KEY},
                reconnect_every=RECONNECT_EVERY,
            )
        )
        for i in range(shape.clients)
    ]
    faults: list[Fault] = []

    def replica_read_again() -> Callable[[], Awaitable[bool]]:
        """Every process reads from the replica again: a computed read (a POST, not cached) sent
        to each process directly makes its count of the replica's reads grow. (Asked of each
        process, since the balancer's clients may all be on one of them.)"""

        async def check() -> bool:
            for service in services:
                before = _replica_of(await service.stats(probe))
                if before is None or before["skipped"]:
                    return False
                read = {"query": READ_QUERY, "variables": {"n": 1}}
                with contextlib.suppress(httpx.TransportError):
                    await probe.post(f"{service.url}/graphql", json=read)
                after = _replica_of(await service.stats(probe))
                if after is None or int(after["reads"]) <= int(before["reads"]):
                    return False
            return True

        return check

    async def all_ready() -> bool:
        return all([await s.ready(probe) is not None for s in services])

    async def fault(
        name: str,
        begin: Callable[[], None],
        end: Callable[[], None],
        recovered: Callable[[], Awaitable[bool]],
    ) -> None:
        await asyncio.sleep(shape.settle_s)
        started = time.monotonic()
        await asyncio.to_thread(begin)
        await asyncio.sleep(shape.fault_s)
        await asyncio.to_thread(end)
        ended = time.monotonic()
        faults.append(Fault(name, started, ended, await _until(recovered, RECOVER_TIMEOUT_S)))

    try:
        over_budget = await _over_budget(probe, services)
        first = services[0]
        await fault("service process api-1 stopped (SIGTERM), restarted", first.stop, first.start, all_ready)
        await fault("Postgres replica stopped, restarted", replica.stop, replica.start, replica_read_again())
        await fault(
            "Postgres replica frozen (SIGSTOP), thawed (SIGCONT)",
            replica.freeze,
            replica.thaw,
            replica_read_again(),
        )
        await fault("Redis stopped, restarted", redis.stop, redis.start, all_ready)
        await asyncio.sleep(shape.settle_s)
    finally:
        stop.set()
        await asyncio.gather(*loops)
    for index, one in enumerate(faults):
        until = faults[index + 1].started if index + 1 < len(faults) else float("inf")
        one.answers = [a for a in answers if one.started <= a.at < until]
    rows = [f.row(baseline) for f in faults]
    before = [a for a in answers if a.at < faults[0].started]
    stats = await _stats(probe, services)

    # A new release: seconds from the end of its load until every process answers with it. The
    # release query is asked first, so each process holds its answer in the response cache (under
    # the old release's tag) as it would under traffic: the measure includes dropping it.
    conn = await asyncpg.connect(with_database(primary.url, "detente"))
    try:
        old = await conn.fetchval("select content_hash from release order by loaded_at desc, id desc limit 1")
        assert await _release_everywhere(probe, services, old), "every process answers the release"
        loading = asyncio.Event()

        async def traffic() -> None:  # keeps each process's release tag fresh, as clients would
            while not loading.is_set():
                await _release_everywhere(probe, services, old)
                await asyncio.sleep(0.1)

        asker = asyncio.ensure_future(traffic())
        try:
            load_started = time.monotonic()
            report = await load_seeds(conn, shape.second)
            loaded = time.monotonic()
        finally:
            loading.set()
            await asker
        expected = await conn.fetchval(
            "select content_hash from release order by loaded_at desc, id desc limit 1"
        )
    finally:
        await conn.close()
    replay_s = round(await wait_replayed(primary.url, replica.url), 3)
    followed = await _until(lambda: _release_everywhere(probe, services, expected), FOLLOW_TIMEOUT_S)
    follow_s = None if followed is None else round(time.monotonic() - loaded, 2)
    return {
        "clients": shape.clients,
        "fault_s": shape.fault_s,
        "before_faults": Fault("none", 0, 0, None, before).row(baseline),
        "faults": rows,
        "connections_per_process": dict(balancer.connections),
        "cache": _hit_ratio(stats),
        "rate_limit": over_budget,
        "databases": {
            s.name: one.get("databases", []) for s, one in zip(services, stats or [], strict=False)
        },
        "release": {
            "version": getattr(report, "release_version", None),
            "load_s": round(loaded - load_started, 2),
            "replica_replay_s": replay_s,
            "every_process_answers_s": follow_s,
            "mechanism": "LISTEN/NOTIFY" if stats is not None else "5 s poll of the release tag",
        },
    }


def write_report(result: dict[str, Any]) -> None:
    cache, release, limit = result["cache"], result["release"], result["rate_limit"]
    lines = [
        "# Cluster run",
        "",
        f"`make cluster` (`python -m bench.cluster`) on {time.strftime('%Y-%m-%d')}, on a machine "
        "shared with other work (2 cores): times are of this run there, not of dedicated hardware. "
        "Two service processes behind a round-robin TCP load balancer (asyncio, in bench/cluster.py: "
        "no HAProxy or nginx package here), a redis-server of the run's own, a Postgres primary and a "
        "streaming replica made with `pg_basebackup -R` (the embedded binaries); the services read "
        f"from the replica (`DATABASE_READ_URLS`). {result['clients']} clients send GET and POST of a "
        "nested page of events through the balancer, with an API key whose rate-limit budget they "
        f"never reach; each fault is held {result['fault_s']:g} s. Wrong: a good answer that differs "
        "from the answer to the same request before the faults. Errors: answers that are not a good "
        "200. Dropped: connections closed under a request (the TCP balancer cannot retry a request; "
        "an HTTP one such as HAProxy with `retry-on` would). Recovery: from the end of the fault "
        "until every process is ready again (service, Redis), or until every process reads from the "
        "replica again (Postgres replica: its count of the replica's reads in `/cluster/stats` grows; "
        "a skipped replica is probed every second).",
        "",
        "| fault | requests | answers (status, type) | non-JSON | wrong | errors | dropped | 429 "
        "| recovery (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in [result["before_faults"], *result["faults"]]:
        kinds = "<br>".join(f"{k}: {v}" for k, v in row["answers"].items())
        lines.append(
            f"| {row['fault']} | {row['requests']} | {kinds} | {row['non_json']} | {row['wrong']} | "
            f"{row['errors']} | {row['dropped']} | {row['refused_429']} | "
            f"{'–' if row['recovery_s'] is None else row['recovery_s']} |"
        )
    lines += [
        "",
        f"Connections the balancer sent to each process: {result['connections_per_process']} (each "
        f"client opens a new one every {RECONNECT_EVERY} requests).",
        "",
        "A stopped replica refuses connections, so reads move to the primary at once. A frozen one "
        "accepts them and never answers: the reads in flight when it froze waited "
        "`REPLICA_TIMEOUT_MS` (500 ms) and a probe of the replica, then ran on the primary; from "
        "then on each process skipped it (`not_answering` below) until its background probe found "
        "it answering after SIGCONT.",
        "",
        "## The shared rate limit",
        "",
        f"Before the faults, under the load, a client with an API key of its own (budget "
        f"{limit['budget']} points per {RATE_LIMIT_WINDOW_S} s window) sent {limit['requests']} "
        "requests of 1 point each (`{ release { contentHash } }` by POST), alternately to each "
        "process directly. Refused as the client saw them (429) and as each process counted them "
        "(`rate_limit.refused` in its `/cluster/stats`, before and after); counted locally: charges "
        "a process counted without Redis (0 while Redis answers).",
        "",
        "| process | requests | accepted | refused (429 seen) | refused (counted by the process) "
        "| counted locally |",
        "|---|---|---|---|---|---|",
    ]
    for name, one in limit["per_process"].items():
        lines.append(
            f"| {name} | {one['accepted'] + one['refused'] + one['other']} | {one['accepted']} | "
            f"{one['refused']} | {one['refused_counted']} | {one['counted_locally']} |"
        )
    lines += [
        f"| both | {limit['requests']} | {limit['accepted']} | {limit['refused']} | "
        f"{limit['refused_counted']} | "
        f"{sum(p['counted_locally'] for p in limit['per_process'].values())} |",
        "",
        f"Both processes together accepted {limit['accepted']} requests: one budget is "
        f"{limit['budget']}; two processes each counting on its own would have accepted "
        f"{2 * limit['budget']} and refused {limit['requests'] - 2 * limit['budget']}. "
        + ("All of it fell in one window." if limit["one_window"] else "**It crossed a window.**")
        + " The load's own key was refused "
        f"{sum(r['refused_429'] for r in [result['before_faults'], *result['faults']])} times.",
        "",
        "## Other measures",
        "",
        "| measure | value |",
        "|---|---|",
        "| response cache hit ratio across both processes | "
        + (f"{cache['hit_ratio']}" if cache["hit_ratio"] is not None else "n.a. (no cached requests)")
        + " |",
        f"| seed load of release {release['version']} on the primary (s) | {release['load_s']} |",
        f"| replica replay after the seed load (s) | {release['replica_replay_s']} |",
        f"| seed load to every process answering the new release (s), by {release['mechanism']} | "
        f"{release['every_process_answers_s']} |",
        "",
        "Reads each process's databases answered, and their failures, since the process last "
        "started (`databases` in `/cluster/stats`; api-1 was restarted by the first fault):",
        "",
        "| process | database | reads | failures | of them not answering |",
        "|---|---|---|---|---|",
    ]
    for name, databases in result["databases"].items():
        for database in databases:
            lines.append(
                f"| {name} | {database['database']} | {database['reads']} | {database['failures']} | "
                f"{database['not_answering']} |"
            )
    lines.append("")
    REPORT.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--short", action="store_true", help="the short run `make test` uses")
    args = parser.parse_args()
    shape = SHORT if args.short else FULL
    result = asyncio.run(run(shape))
    print(json.dumps(result, indent=2))
    if not args.short:
        write_report(result)


if __name__ == "__main__":
    main()
