"""What DATABASE_POOLER=pgbouncer costs (writes bench/PGBOUNCER.md): the same service process
and load, once straight to Postgres (statement cache on, generic plans for lookups) and once
through pgbouncer 1.18 in transaction mode (statement cache off). Requests/s, and CPU per request
of the service, pgbouncer and the Postgres processes, from /proc.

    python -m bench.pgbouncer_bench [--seconds 8] [--clients 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import time
from pathlib import Path

import asyncpg
import httpx

from api.database import with_database
from bench.chaos import QUERY
from bench.cluster import Service
from bench.pgbouncer import pgbouncer
from bench.pgserver import PgServer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "pgbouncer"
REPORT = ROOT / "bench" / "PGBOUNCER.md"
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _cpu(pids: list[int]) -> dict[int, float]:
    return {pid: _cpu_s(pid) for pid in pids}


async def _load(url: str, seconds: float, clients: int) -> int:
    done = 0
    stop = time.monotonic() + seconds

    async def client(turn: int) -> None:
        nonlocal done
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            while time.monotonic() < stop:
                turn += 1
                response = await http.post(
                    "/graphql", json={"query": QUERY, "variables": {"n": 1 + turn % 8}}
                )
                assert response.status_code == 200 and "errors" not in response.json(), response.text
                done += 1

    await asyncio.gather(*(client(i) for i in range(clients)))
    return done


async def _measure(
    name: str, env: dict[str, str], server: PgServer, bouncer_pid: int | None, seconds: float, clients: int
) -> dict[str, object]:
    import bench.cluster

    bench.cluster.OUT = OUT
    service = Service(name.replace(" ", "-"), {**env, "LOG_LEVEL": "warning", "POOL_MAX_SIZE": "4"})
    service.start()
    try:
        async with httpx.AsyncClient(timeout=5) as probe:
            await service.wait_ready(probe)
        await _load(service.url, 2.0, clients)  # warm: connections, caches, plans
        assert service.process is not None
        pids = [service.process.pid, *server._processes(), *([bouncer_pid] if bouncer_pid else [])]
        before = _cpu(pids)
        started = time.monotonic()
        requests = await _load(service.url, seconds, clients)
        elapsed = time.monotonic() - started
        after = _cpu([*pids, *server._processes()])
    finally:
        service.stop()

    def spent(selected: list[int]) -> float:
        return sum(after.get(p, 0.0) - before.get(p, 0.0) for p in selected) * 1000 / requests

    postgres = [p for p in after if p not in (service.process.pid, bouncer_pid)]
    return {
        "mode": name,
        "requests": requests,
        "rps": round(requests / elapsed, 1),
        "service_ms": round(spent([service.process.pid]), 2),
        "pgbouncer_ms": round(spent([bouncer_pid]), 2) if bouncer_pid else 0.0,
        "postgres_ms": round(spent(postgres), 2),
    }


async def run(seconds: float, clients: int) -> list[dict[str, object]]:
    from tests.conftest import migrate_and_load

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    server = PgServer(OUT / "pg")
    server.init()
    server.start()
    try:
        conn = await asyncpg.connect(server.url)
        await conn.execute("create database detente")
        await conn.close()
        url = with_database(server.url, "detente")
        await migrate_and_load(url, ROOT / "seeds")
        rows = [await _measure("direct", {"DATABASE_URL": url}, server, None, seconds, clients)]
        with pgbouncer(OUT / "bouncer", server.url, pool_size=4) as b:
            assert b.process is not None
            env = {"DATABASE_URL": b.url(url), "DATABASE_POOLER": "pgbouncer"}
            rows.append(await _measure("pgbouncer", env, server, b.process.pid, seconds, clients))
        return rows
    finally:
        server.stop()


def write_report(rows: list[dict[str, object]], seconds: float, clients: int) -> None:
    lines = [
        "# What pgbouncer's transaction mode costs",
        "",
        f"`python -m bench.pgbouncer_bench` on {time.strftime('%Y-%m-%d')}: one service process "
        f"(POOL_MAX_SIZE=4 per pool), {clients} clients POSTing the nested page of events of "
        f"bench/chaos.py (lists, lookups by key, counts; no response cache) for {seconds:g} s after "
        "2 s of warm-up, on the real release in a Postgres of the run's own. `direct`: straight to "
        "Postgres, asyncpg's statement cache on, generic plans for lookups. `pgbouncer`: through "
        "pgbouncer 1.18 in transaction mode (default_pool_size 4) with `DATABASE_POOLER=pgbouncer`: "
        "statement cache off, so every statement is parsed and planned on every call. CPU is "
        "user + system time from /proc, per request. 2 shared cores: the figures compare the two "
        "modes of one run, not absolute capacity.",
        "",
        "| mode | requests | requests/s | service CPU ms/req | pgbouncer CPU ms/req | Postgres CPU ms/req |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mode']} | {r['requests']} | {r['rps']} | {r['service_ms']} | {r['pgbouncer_ms']} "
            f"| {r['postgres_ms']} |"
        )
    direct, pooled = rows[0], rows[1]

    def total(r: dict[str, object]) -> float:
        return float(r["service_ms"]) + float(r["pgbouncer_ms"]) + float(r["postgres_ms"])  # type: ignore[arg-type]

    lines += [
        "",
        f"CPU per request, all three together: {total(direct):.2f} ms direct, {total(pooled):.2f} ms "
        f"through pgbouncer ({(total(pooled) / total(direct) - 1) * 100:+.0f} %). Postgres's share "
        f"grows from {direct['postgres_ms']} to {pooled['postgres_ms']} ms: without a statement "
        "cache each statement is parsed and planned on every call (the lookups lose their generic "
        "plans, the lists their cached parse). pgbouncer itself costs its own CPU per request. "
        f"Load average on the machine when measured: {os.getloadavg()[0]:.1f} (other work shares "
        "the cores): requests/s follow that work more than the mode, CPU per request does not; "
        "compare the CPU. Use the mode where the number of connections is the constraint (many "
        "replicas against one Postgres); with a few processes, connect directly.",
    ]
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    rows = asyncio.run(run(args.seconds, args.clients))
    for row in rows:
        print(row)
    write_report(rows, args.seconds, args.clients)


if __name__ == "__main__":
    main()
