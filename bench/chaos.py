"""Fault injection (`make chaos`): the service under bounded load while its Postgres is killed
and restarted, frozen and thawed, and its connections cut; writes bench/CHAOS.md.

The service runs as its own process (this script in `--serve` mode) over a Postgres of the run's
own (bench/pgserver.py, the embedded binaries, in bench/out/chaos). Clients send a nested query
over GET (varying `first`, so some answers come from the response cache) and POST. For each
fault the run counts answers by status and content type, non-JSON answers (must be 0), requests
that hung past the deadline (must be 0), the seconds from the end of the fault to the first good
answer, and wrong answers after recovery (must be 0: every answer after recovery equals the
answer to the same request before any fault).

    python -m bench.chaos                 # the full run (real release, 8 clients, 5 s faults)
    python -m bench.chaos --short         # what `make test` runs (fixture seeds, 1 s faults)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.pgserver import PgServer, free_port

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "chaos"
REPORT = ROOT / "bench" / "CHAOS.md"
REQUEST_TIMEOUT_MS = 2_000
# A request with no answer this long after the deadline has hung.
HUNG_AFTER_S = REQUEST_TIMEOUT_MS / 1000 + 2.0
QUERY = (
    "query($n: Int!) { events(first: $n, orderBy: DATE_DESC) { totalCount nodes { slug title date "
    "actors { edges { role node { slug name } } } sources { nodes { url } } } } }"
)
PAGE_SIZES = range(1, 9)


@dataclass
class Shape:
    seeds: Path
    clients: int
    fault_s: float
    settle_s: float


FULL = Shape(ROOT / "seeds", clients=8, fault_s=5.0, settle_s=5.0)
SHORT = Shape(ROOT / "tests" / "fixtures" / "seeds", clients=4, fault_s=1.0, settle_s=2.0)


@dataclass
class Answer:
    at: float  # when the request was sent
    method: str
    size: int
    status: int | None = None  # None: no answer (hung or connection dropped)
    content_type: str = ""
    is_json: bool = False
    good: bool = False  # 200, data, no errors
    data: Any = None
    hung: bool = False
    dropped: bool = False
    error: str = ""  # the first error's code and message, when there is one
    done: float = float("inf")  # when the answer (or the failure) came


def answer_kinds(answers: list[Answer]) -> dict[str, int]:
    """Answers counted by status and content type, and whether they carried errors."""
    kinds = Counter(
        f"{a.status} {a.content_type}{'' if a.good else ' with errors'}"
        for a in answers
        if a.status is not None
    )
    return dict(sorted(kinds.items()))


@dataclass
class FaultReport:
    name: str
    started: float
    ended: float
    answers: list[Answer] = field(default_factory=list)
    first_good_after: float | None = None
    wrong_after_recovery: int = 0
    wrong_examples: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return {
            "fault": self.name,
            "requests": len(self.answers),
            "answers": answer_kinds(self.answers),
            "non_json": sum(1 for a in self.answers if a.status is not None and not a.is_json),
            "hung": sum(1 for a in self.answers if a.hung),
            "dropped": sum(1 for a in self.answers if a.dropped),
            "recovery_s": None
            if self.first_good_after is None
            else round(self.first_good_after - self.ended, 2),
            "wrong_after_recovery": self.wrong_after_recovery,
            "wrong_examples": self.wrong_examples,
        }


async def _ask(client: httpx.AsyncClient, method: str, size: int) -> Answer:
    answer = Answer(time.monotonic(), method, size)
    try:
        if method == "GET":
            response = await client.get(
                "/graphql", params={"query": QUERY, "variables": json.dumps({"n": size})}
            )
        else:
            response = await client.post("/graphql", json={"query": QUERY, "variables": {"n": size}})
    except httpx.TimeoutException:
        answer.hung = True
        return answer
    except httpx.TransportError:
        answer.dropped = True
        return answer
    finally:
        answer.done = time.monotonic()
    answer.status = response.status_code
    answer.content_type = response.headers.get("content-type", "").split(";")[0]
    try:
        body = response.json()
        answer.is_json = answer.content_type.endswith("json")
    except ValueError:
        body = None
    if isinstance(body, dict):
        answer.data = body.get("data")
        answer.good = response.status_code == 200 and "errors" not in body and bool(answer.data)
        answer.error = _first_error(body)
    return answer


def _first_error(body: dict[str, Any]) -> str:
    errors = body.get("errors")
    if not errors or not isinstance(errors, list) or not isinstance(errors[0], dict):
        return ""
    code = (errors[0].get("extensions") or {}).get("code", "")
    return f"{code}: {errors[0].get('message', '')}"[:300]


async def _client_loop(
    base: str,
    stop: asyncio.Event,
    sink: Callable[[Answer], None],
    seed: int,
    headers: dict[str, str] | None = None,
    reconnect_every: int | None = None,
) -> None:
    """GET and POST in turn until `stop`; `headers` on every request (an API key, say); a new
    connection after every `reconnect_every` requests (None: one connection while it lasts)."""
    timeout = httpx.Timeout(HUNG_AFTER_S)
    turn = seed
    while not stop.is_set():
        async with httpx.AsyncClient(base_url=base, timeout=timeout, headers=headers) as client:
            for _ in itertools.count() if reconnect_every is None else range(reconnect_every):
                if stop.is_set():
                    break
                turn += 1
                size = PAGE_SIZES[turn % len(PAGE_SIZES)]
                sink(await _ask(client, "GET" if turn % 2 else "POST", size))


@contextlib.asynccontextmanager
async def _service(database_url: str, port: int) -> AsyncIterator[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "REQUEST_TIMEOUT_MS": str(REQUEST_TIMEOUT_MS)}
    env.setdefault("LOG_LEVEL", "warning")
    log = (OUT / "service.log").open("w")
    process = subprocess.Popen(  # noqa: ASYNC220 (started once; it outlives this call)
        [sys.executable, "-m", "bench.chaos", "--serve", str(port)], env=env, cwd=ROOT, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=2) as client:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/ready")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the service did not become ready; see bench/out/chaos/service.log")
        yield base
    finally:
        process.terminate()
        process.wait(10)
        log.close()


async def _cut_connections(server: PgServer) -> None:
    conn = await asyncpg.connect(server.url)
    try:
        await conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'detente'"
        )
    finally:
        await conn.close()


async def run(shape: Shape) -> list[dict[str, Any]]:
    from tests.conftest import migrate_and_load

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    server = PgServer(OUT / "pg")
    server.init()
    server.start()
    try:
        await migrate_and_load(server.url, shape.seeds)
        async with _service(server.url, free_port()) as base:
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                baseline = {}
                for size in PAGE_SIZES:
                    answer = await _ask(client, "POST", size)
                    assert answer.good, "the service must answer before any fault"
                    baseline[size] = answer.data
            answers: list[Answer] = []
            stop = asyncio.Event()
            loops = [
                asyncio.ensure_future(_client_loop(base, stop, answers.append, i))
                for i in range(shape.clients)
            ]
            reports = []

            async def fault(name: str, begin: Callable[[], Any], end: Callable[[], Any]) -> None:
                await asyncio.sleep(shape.settle_s)
                started = time.monotonic()
                result = begin()
                if asyncio.iscoroutine(result):
                    await result
                await asyncio.sleep(shape.fault_s)
                await asyncio.to_thread(end)
                reports.append(FaultReport(name, started, time.monotonic()))

            await fault("SIGKILL, restart", server.kill, server.start)
            await fault("SIGSTOP, SIGCONT", server.freeze, server.thaw)
            await fault("connections cut", lambda: _cut_connections(server), lambda: None)
            await asyncio.sleep(shape.settle_s)
            stop.set()
            await asyncio.gather(*loops)
        return _judge(reports, answers, baseline)
    finally:
        server.stop()


def _judge(
    reports: list[FaultReport], answers: list[Answer], baseline: dict[int, Any]
) -> list[dict[str, Any]]:
    """Each answer belongs to the fault whose window (its start to the next fault's start) holds
    the moment the request was sent. Recovery is judged on the answers sent after the first good
    one that also came back before the next fault began: a request still in flight when the next
    fault strikes is that fault's to fail."""
    for index, report in enumerate(reports):
        until = reports[index + 1].started if index + 1 < len(reports) else float("inf")
        report.answers = [a for a in answers if report.started <= a.at < until]
        after = [a for a in report.answers if a.at >= report.ended]
        # Recovered when an answer is computed again: a POST (a GET may come from the response
        # cache, which answers good GETs while the database is still away).
        first_good = next((a for a in after if a.good and a.method == "POST"), None)
        if first_good is not None:
            report.first_good_after = first_good.at
            recovered = [a for a in after if a.at >= first_good.at and a.done < until]
            wrong = [a for a in recovered if not a.good or a.data != baseline[a.size]]
            report.wrong_after_recovery = len(wrong)
            report.wrong_examples = [
                f"+{a.at - first_good.at:.3f} s {a.method} {a.status} {a.error or 'different data'}"
                for a in wrong[:3]
            ]
    return [r.row() for r in reports]


def write_report(rows: list[dict[str, Any]], shape: Shape) -> None:
    lines = [
        "# Chaos run",
        "",
        f"`python -m bench.chaos` on {time.strftime('%Y-%m-%d')}: {shape.clients} clients (GET and POST "
        f"of a nested page of events), request deadline {REQUEST_TIMEOUT_MS} ms, each fault held "
        f"{shape.fault_s:g} s with {shape.settle_s:g} s between faults, on a Postgres of the run's own. "
        f"A request counts as hung when it has no answer {HUNG_AFTER_S:g} s after it was sent; recovery "
        "is from the end of the fault to the first good computed answer (a POST: GETs may come from "
        "the response cache while the database is away); a wrong answer after recovery is any "
        "answer, sent after the first good one and back before the next fault began, that differs "
        "from the answer to the same request before the faults.",
        "",
        "| fault | requests | answers (status, type) | non-JSON | hung | dropped | recovery (s) "
        "| wrong after recovery |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        kinds = "<br>".join(f"{k}: {v}" for k, v in row["answers"].items())
        lines.append(
            f"| {row['fault']} | {row['requests']} | {kinds} | {row['non_json']} | {row['hung']} | "
            f"{row['dropped']} | {row['recovery_s']} | {row['wrong_after_recovery']} |"
        )
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _serve(port: int) -> None:
    import uvicorn

    from api.app import create_app
    from api.logs import configure_logging
    from api.server import server_config
    from api.settings import Settings

    settings = Settings()
    assert settings.database_url
    configure_logging(settings.log_level)
    app = create_app(settings, settings.database_url)
    uvicorn.Server(server_config(app, settings, "127.0.0.1", port)).run()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--short", action="store_true", help="the short run `make test` uses")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve)
        return
    shape = SHORT if args.short else FULL
    rows = asyncio.run(run(shape))
    print(json.dumps(rows, indent=2))
    if not args.short:
        write_report(rows, shape)


if __name__ == "__main__":
    main()
