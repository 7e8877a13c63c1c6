"""`python -m bench.rest`: the REST face against the GraphQL face on the same rows, and the
streamed CSV of every event; writes bench/REST.md.

- page50: `GET /v1/events?limit=50` against the GraphQL document that route runs (the same
  rows and fields), in the same run: once with the response cache on (REST GET vs GraphQL
  GET, both answered from the cache), once with it off (RESPONSE_CACHE_BYTES=0: REST GET vs
  GraphQL GET, both executed every time and given an ETag, and GraphQL POST, which skips the
  cache and the ETag).
- stream: `GET /v1/events.csv?limit=all` on a fresh one-worker server: rows/s, and the server's
  peak RSS before and after the stream (VmHWM), so memory that grows with the dataset shows.
- cpu: the same three uncached requests driven through the app in this process (no HTTP, no
  wrk beside it), one of each in turn: the CPU time each costs, so a difference of a few percent
  is not left to the noise of a shared machine. `python -m bench.rest cpu` runs this part alone
  and prints its table.

Settings (environment): BENCH_REST_SIZES (default "curated,10000,100000,1000000"), BENCH_REST_PAGE_SIZES
(the datasets the page is timed on; default "curated,10000"), BENCH_DURATION (5),
BENCH_WARMUP (2), BENCH_CONNECTIONS (16), BENCH_DATABASE_URL, as bench/run.py; BENCH_REST_CPU_REQUESTS
(requests of each face in the cpu part, 1500).
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
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from api.engine import Engine
from api.release_tag import ReleaseTag
from api.rest.resources import RESOURCES
from api.rest.routes import RestEndpoint
from api.settings import Settings
from bench import run
from schema.build import build_schema

SIZES = os.environ.get("BENCH_REST_SIZES", "curated,10000,100000,1000000").split(",")
PAGE_SIZES = os.environ.get("BENCH_REST_PAGE_SIZES", "curated,10000").split(",")
run.DURATION = int(os.environ.get("BENCH_DURATION", "5"))
run.WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
# Its own port: bench/run.py (8811) may be running on the same machine at the same time.
run.OUR_PORT = int(os.environ.get("BENCH_REST_PORT", "8821"))
BASE = f"http://127.0.0.1:{run.OUR_PORT}"
ROUNDS = 2  # REST and GraphQL alternate, so a neighbour's load falls on both alike
CPU_REQUESTS = int(os.environ.get("BENCH_REST_CPU_REQUESTS", "1500"))
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


@dataclass
class CpuRow:
    dataset: str
    face: str
    cpu_ms: float  # the mean of the middle 80% of requests


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


def _asgi_scope(method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]], state: Any) -> Any:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": dict(state),
    }


async def _cpu(dataset: str, url: str) -> list[CpuRow]:
    """CPU time per uncached request, in process: REST GET, GraphQL GET and POST of the page
    of 50, one of each in turn (so a neighbour's load falls on all three alike)."""
    from api.app import create_app  # the app's lifespan tunes this process's collector

    os.environ["RESPONSE_CACHE_BYTES"] = "0"
    try:
        app = create_app(Settings(), url)
    finally:
        os.environ.pop("RESPONSE_CACHE_BYTES", None)
    document = _page50_document()
    variables = json.dumps({"first": 50})
    body = json.dumps({"query": document, "variables": {"first": 50}}).encode()
    graphql_get = urllib.parse.urlencode({"query": document, "variables": variables}).encode()
    posted = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    faces = {
        "REST GET /v1/events?limit=50": ("GET", "/v1/events", b"limit=50", [], b""),
        "GraphQL GET": ("GET", "/graphql", graphql_get, [], b""),
        "GraphQL POST": ("POST", "/graphql", b"", posted, body),
    }
    state: dict[str, Any] = {}
    startup: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    await startup.put({"type": "lifespan.startup"})
    started = asyncio.Event()

    async def lifespan_send(message: Any) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()
        elif message["type"].endswith("failed"):
            raise RuntimeError(message)

    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}, startup.get, lifespan_send)
    )
    await started.wait()

    async def one(face: str) -> int:
        method, path, query, headers, payload = faces[face]
        sent: list[Any] = []
        received = False

        async def receive() -> Any:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": payload, "more_body": False}
            await asyncio.Event().wait()  # the client never goes away
            return {"type": "http.disconnect"}

        async def send(message: Any) -> None:
            sent.append(message)

        started_ns = time.process_time_ns()
        await app(_asgi_scope(method, path, query, headers, state), receive, send)
        spent = time.process_time_ns() - started_ns
        if sent[0]["status"] != 200:
            raise RuntimeError(f"{face}: {sent[0]['status']} {sent[-1].get('body', b'')[:300]!r}")
        return spent

    try:
        for face in faces:
            for _ in range(50):
                await one(face)
        spent: dict[str, list[int]] = {face: [] for face in faces}
        for _ in range(CPU_REQUESTS):
            for face in faces:
                spent[face].append(await one(face))
    finally:
        await startup.put({"type": "lifespan.shutdown"})
        await lifespan
    rows = []
    for face, values in spent.items():
        values.sort()
        middle = values[len(values) // 10 : len(values) - len(values) // 10]
        rows.append(CpuRow(dataset, face, statistics.mean(middle) / 1e6))
    return rows


Row = TypeVar("Row", PageRow, CpuRow)


def _against_rest(rows: list[Row]) -> Iterator[tuple[Row, Row | None]]:
    """Each row with the REST row it is compared with (None for a REST row itself): rows come
    in groups, the REST face first."""
    rest: Row | None = None
    for row in rows:
        if row.face.startswith("REST"):
            rest = row
            yield row, None
        else:
            assert rest is not None
            yield row, rest


def _cpu_table(cpus: list[CpuRow]) -> list[str]:
    lines = [
        "| dataset | face | CPU ms per request | REST / this face (CPU) |",
        "| --- | --- | ---: | ---: |",
    ]
    for row, rest in _against_rest(cpus):
        shown = "" if rest is None else f"{row.cpu_ms / rest.cpu_ms:.3f}×"
        lines.append(f"| {row.dataset} | {row.face} | {row.cpu_ms:.3f} | {shown} |")
    return lines


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


def _write(pages: list[PageRow], streams: list[StreamRow], cpus: list[CpuRow]) -> None:
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
    for row, rest in _against_rest(pages):
        if rest is None:
            shown = ""
        else:
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
    lines += [
        "",
        "## CPU per uncached request, in process",
        "",
        f"The three uncached requests above driven through the app in the benchmark's process (no "
        f"HTTP, no wrk), one of each in turn, {CPU_REQUESTS:,} of each after 50 of warm-up; the mean "
        "of the middle 80%. The last column is the other face's CPU over REST's (above 1: REST costs less).",
        "",
        *_cpu_table(cpus),
    ]
    OUT_MD.write_text("\n".join(lines) + "\n")


async def main() -> None:
    run.OUT.mkdir(exist_ok=True)
    pages: list[PageRow] = []
    streams: list[StreamRow] = []
    cpus: list[CpuRow] = []
    for size in SIZES:
        url = await run._prepare_dataset(size)
        if size in PAGE_SIZES:
            await _pages(size, url, pages)
            cpus += await _cpu(size, url)
        streams.append(await _stream(size, url))
        print(pages[-5:], streams[-1], cpus[-3:], flush=True)
    _write(pages, streams, cpus)
    print(OUT_MD.read_text())


async def cpu_only() -> None:
    cpus: list[CpuRow] = []
    for size in PAGE_SIZES:
        cpus += await _cpu(size, await run._prepare_dataset(size))
    print("\n".join(_cpu_table(cpus)))


if __name__ == "__main__":
    asyncio.run(cpu_only() if sys.argv[1:] == ["cpu"] else main())
