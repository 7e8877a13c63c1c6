"""`python -m bench.rest`: the REST face against the GraphQL face on the same rows, and the
streamed CSV of every event; writes bench/REST.md.

- page50: `GET /v1/events?limit=50` against the GraphQL document that route runs (the same
  rows and fields), in the same run: once with the response cache on (REST GET vs GraphQL
  GET, both answered from the cache), once with it off (RESPONSE_CACHE_BYTES=0: REST GET vs
  GraphQL GET, both executed every time and given an ETag, and GraphQL POST, which skips the
  cache and the ETag).
- stream: `GET /v1/events.csv?limit=all` on a fresh one-worker server: rows/s, and the server's
  peak RSS before and after the stream (VmHWM), so memory that grows with the dataset shows.

Settings (environment): BENCH_REST_SIZES (default "curated,10000,1000000"), BENCH_REST_PAGE_SIZES
(the datasets the page is timed on; default "curated,10000"), BENCH_DURATION (5),
BENCH_WARMUP (2), BENCH_CONNECTIONS (16), BENCH_DATABASE_URL, as bench/run.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import httpx

from api.engine import Engine
from api.release_tag import ReleaseTag
from api.rest.resources import RESOURCES
from api.rest.routes import RestEndpoint
from api.settings import Settings
from bench import run
from schema.build import build_schema

SIZES = os.environ.get("BENCH_REST_SIZES", "curated,10000,1000000").split(",")
PAGE_SIZES = os.environ.get("BENCH_REST_PAGE_SIZES", "curated,10000").split(",")
run.DURATION = int(os.environ.get("BENCH_DURATION", "5"))
run.WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
# Its own port: bench/run.py (8811) may be running on the same machine at the same time.
run.OUR_PORT = int(os.environ.get("BENCH_REST_PORT", "8821"))
BASE = f"http://127.0.0.1:{run.OUR_PORT}"
ROUNDS = 2  # REST and GraphQL alternate, so a neighbour's load falls on both alike
OUT_MD = Path(__file__).resolve().parent / "REST.md"


@dataclass
class PageRow:
    dataset: str
    cache: str
    face: str
    rps: float
    p50_ms: float
    p99_ms: float


@dataclass
class StreamRow:
    dataset: str
    rows: int
    seconds: float
    mbytes: float
    rss_before_mb: float
    rss_peak_mb: float


def _page50_document() -> str:
    """The GraphQL document `/v1/events?limit=50` runs (one definition: the route builds it)."""
    resource = next(r for r in RESOURCES if r.path == "/v1/events")
    return (
        RestEndpoint(resource, Engine(build_schema(), ReleaseTag(), Settings()))
        .document(frozenset(), False)
        .query
    )


def _start(database_url: str, workers: int, cache: bool) -> subprocess.Popen[bytes]:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", run.OUR_PORT)) == 0:
            raise SystemExit(f"port {run.OUR_PORT} is taken; set BENCH_REST_PORT")
    run.WORKERS = workers
    if not cache:
        os.environ["RESPONSE_CACHE_BYTES"] = "0"
    try:
        return run._start_ours(database_url)
    finally:
        os.environ.pop("RESPONSE_CACHE_BYTES", None)


async def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        await asyncio.to_thread(process.wait, 30)
    except subprocess.TimeoutExpired:
        process.kill()
        await asyncio.to_thread(process.wait, 30)


async def _pages(dataset: str, url: str, rows: list[PageRow]) -> None:
    document = _page50_document()
    variables = {"first": 50}
    body = json.dumps({"query": document, "variables": variables})
    graphql_get = f"{BASE}/graphql?" + urllib.parse.urlencode(
        {"query": document, "variables": json.dumps(variables)}
    )
    for cache in (True, False):
        process = _start(url, 2, cache)
        try:
            await run._wait(f"{BASE}/graphql", process)
            faces: tuple[tuple[str, str, str | None], ...] = (
                ("REST GET /v1/events?limit=50", f"{BASE}/v1/events?limit=50", None),
                ("GraphQL GET", graphql_get, None),
            )
            if not cache:
                faces += (("GraphQL POST", f"{BASE}/graphql", body),)
            for _, target, payload in faces:
                await run._wrk(target, payload, run.WARMUP)
            measured: dict[str, list[tuple[float, float, float]]] = {face: [] for face, _, _ in faces}
            for _ in range(ROUNDS):
                for face, target, payload in faces:
                    rps, p50, p99, _ = await run._wrk(target, payload, run.DURATION)
                    measured[face].append((rps, p50, p99))
            for face, values in measured.items():
                rows.append(
                    PageRow(
                        dataset,
                        "on" if cache else "off",
                        face,
                        statistics.mean(v[0] for v in values),
                        statistics.mean(v[1] for v in values),
                        statistics.mean(v[2] for v in values),
                    )
                )
        finally:
            await _stop(process)


async def _stream(dataset: str, url: str) -> StreamRow:
    process = _start(url, 1, True)
    try:
        await run._wait(f"{BASE}/graphql", process)
        async with httpx.AsyncClient(timeout=600) as client:
            await client.get(f"{BASE}/v1/events?limit=1")  # the first request builds the documents
            before = run._peak_rss_mb(run._proc_tree(process.pid))
            started = time.perf_counter()
            lines = size = 0
            async with client.stream("GET", f"{BASE}/v1/events.csv?limit=all") as response:
                response.raise_for_status()
                async for chunk in response.aiter_bytes():
                    lines += chunk.count(b"\r\n")
                    size += len(chunk)
            seconds = time.perf_counter() - started
        peak = run._peak_rss_mb(run._proc_tree(process.pid))
    finally:
        await _stop(process)
    # A CSV cell may hold a line break (inside quotes); counted by the API instead where exact.
    return StreamRow(dataset, lines - 1, seconds, size / 2**20, before, peak)


def _write(pages: list[PageRow], streams: list[StreamRow]) -> None:
    lines = [
        "# REST face: benchmark",
        "",
        f"`python -m bench.rest`, {dt.date.today().isoformat()}, {platform.machine()}, "
        f"{os.cpu_count()} cores shared with other work; each face {ROUNDS} × {run.DURATION} s, alternating "
        f"with the other (means shown), after {run.WARMUP} s of warm-up; {run.CONNECTIONS} connections "
        "(wrk), 2 uvicorn workers.",
        "",
        "## The page of 50 events: REST against GraphQL, same rows, same run",
        "",
        "The GraphQL request is the document `/v1/events?limit=50` runs (every scalar field of the "
        "event, its actors with roles, policies, topics and sources as references). With the cache "
        "on, both faces answer from the response cache; with it off (`RESPONSE_CACHE_BYTES=0`), "
        "every request is executed: REST GET against GraphQL GET (the same work: an executed answer "
        "given an ETag) and, for reference, GraphQL POST (no cache lookup, no ETag).",
        "",
        "| dataset | response cache | face | req/s | p50 ms | p99 ms | REST / this face |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    rest = None
    for row in pages:
        if row.face.startswith("REST"):
            rest, shown = row, ""
        else:
            assert rest is not None
            shown = f"{rest.rps / row.rps:.2f}×" if row.rps else "n/a"
        lines.append(
            f"| {row.dataset} | {row.cache} | {row.face} | {row.rps:,.0f} | {row.p50_ms:.2f} | "
            f"{row.p99_ms:.2f} | {shown} |"
        )
    lines += [
        "",
        "## Every event as CSV, streamed (`/v1/events.csv?limit=all`)",
        "",
        "One request on a fresh one-worker server; RSS is the worker tree's peak (VmHWM) after one "
        "small request and after the whole stream.",
        "",
        "| dataset | rows | seconds | rows/s | MiB sent | peak RSS before MiB | peak RSS after MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in streams:
        lines.append(
            f"| {s.dataset} | {s.rows:,} | {s.seconds:.2f} | {s.rows / s.seconds:,.0f} | {s.mbytes:.1f} | "
            f"{s.rss_before_mb:.0f} | {s.rss_peak_mb:.0f} |"
        )
    OUT_MD.write_text("\n".join(lines) + "\n")


async def main() -> None:
    run.OUT.mkdir(exist_ok=True)
    pages: list[PageRow] = []
    streams: list[StreamRow] = []
    for size in SIZES:
        url = await run._prepare_dataset(size)
        if size in PAGE_SIZES:
            await _pages(size, url, pages)
        streams.append(await _stream(size, url))
        print(pages[-5:], streams[-1], flush=True)
    _write(pages, streams)
    print(OUT_MD.read_text())


if __name__ == "__main__":
    asyncio.run(main())
