"""`python -m bench.soak`: memory under sustained load. Runs wrk against the page-of-50 query
for BENCH_SOAK_SECONDS (600) on one dataset (BENCH_SOAK_SIZE, default 10000), samples the RSS of
every server process every 10 s, and writes bench/SOAK.md: RSS after warm-up vs at the end."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from pathlib import Path

import asyncpg

from bench.run import BENCH, CONNECTIONS, OUR_PORT, OUT, _prepare_dataset, _proc_tree, _start_ours, _wait
from bench.workload import workload

SECONDS = int(os.environ.get("BENCH_SOAK_SECONDS", "600"))
SIZE = os.environ.get("BENCH_SOAK_SIZE", "10000")
WARMUP_SECONDS = 60


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
        except OSError:
            continue
        total += int(match.group(1)) if match else 0
    return total / 1024


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    url = await _prepare_dataset(SIZE)
    conn = await asyncpg.connect(url)
    page = next(q for q in await workload(conn) if q.name == "page50")
    await conn.close()
    server = _start_ours(url)
    our_url = f"http://127.0.0.1:{OUR_PORT}/graphql"
    try:
        await _wait(our_url, server)
        body = OUT / "soak-body.json"
        body.write_text(page.body())
        load = await asyncio.create_subprocess_exec(
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "-s",
            str(BENCH / "post.lua"),
            our_url,
            stdout=asyncio.subprocess.PIPE,
            env=dict(os.environ, BODY_FILE=str(body)),
        )
        samples: list[tuple[float, float]] = []
        started = time.monotonic()
        while load.returncode is None and time.monotonic() - started < SECONDS + 30:
            samples.append((time.monotonic() - started, _rss_mb(_proc_tree(server.pid))))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(load.wait(), timeout=10)
        out, _ = await load.communicate()
    finally:
        server.terminate()
        server.wait(timeout=30)
    warm = next((rss for t, rss in samples if t >= WARMUP_SECONDS), samples[-1][1])
    peak_after = max(rss for t, rss in samples if t >= WARMUP_SECONDS) if samples else 0.0
    end = samples[-1][1]
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out.decode())
    lines = [
        "# Memory under sustained load",
        "",
        f"page of 50 events, {SIZE}-event dataset, wrk -c{CONNECTIONS} for {SECONDS} s "
        f"({rps.group(1) if rps else '?'} req/s). RSS of the server's processes (all workers):",
        "",
        f"- after {WARMUP_SECONDS} s warm-up: {warm:.1f} MB",
        f"- highest after warm-up: {peak_after:.1f} MB",
        f"- at the end: {end:.1f} MB ({(end - warm) / warm * 100:+.1f}% over the warm-up value)",
        "",
        "| seconds | RSS MB |",
        "|---|---|",
        *[f"| {t:.0f} | {rss:.1f} |" for t, rss in samples],
    ]
    (BENCH / "SOAK.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:8]))


if __name__ == "__main__":
    asyncio.run(main())
