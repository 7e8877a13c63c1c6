"""Schema fuzzing: schemathesis in GraphQL mode sends generated queries for every root field
against the served schema (a few examples each here; `make chaos` runs more). No answer may be a
server error, and none may leak internals (tracebacks, SQL, file paths, driver names)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from api.settings import Settings
from tests.conftest import running_service

LEAKS = (
    "Traceback",
    "asyncpg",
    "psycopg",
    "SELECT ",
    "select ",
    'File "',
    "/site-packages/",
    '.py"',
    "postgres",
)
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "5"))


def _st() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("schemathesis is not installed (it is a dev dependency: `make test` installs it)")
    return found


def _bodies(har: Path) -> list[tuple[int, str]]:
    entries = json.loads(har.read_text())["log"]["entries"]
    found = []
    for entry in entries:
        content = entry["response"]["content"]
        text = content.get("text", "")
        if content.get("encoding") == "base64":
            text = base64.b64decode(text).decode("utf-8", "replace")
        found.append((entry["response"]["status"], text))
    return found


async def test_fuzzing_finds_no_server_error_and_no_leak(
    settings: Settings, release_url: str, tmp_path: Path
) -> None:
    st = _st()
    async with running_service(settings, release_url) as service:
        process = await asyncio.create_subprocess_exec(
            st,
            "run",
            f"{service.url}/graphql",
            "--phases",
            "fuzzing",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--seed",
            "1",
            "--checks",
            "not_a_server_error",
            "--generation-deterministic",
            "--report",
            "har",
            "--report-dir",
            str(tmp_path),
            "--no-color",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=tmp_path,
        )
        output, _ = await process.communicate()
    text = output.decode("utf-8", "replace")
    assert process.returncode == 0, text[-3000:]
    hars = await asyncio.to_thread(lambda: list(tmp_path.rglob("har-*.json")))
    assert hars, text[-2000:]
    bodies = [b for har in hars for b in _bodies(har)]
    assert len(bodies) >= 20, f"only {len(bodies)} requests were made"
    assert all(status < 500 for status, _ in bodies)
    for _, body in bodies:
        for leak in LEAKS:
            assert leak not in body, body[:500]
