"""The explorer in a real browser: headless Chromium (Debian's), driven by playwright-core, runs the
default query on a service this test starts, with no request leaving the service's origin.

Screenshots are kept in tests/artifacts/browser/ (git-ignored). `.ci/run` installs Chromium; where
it is missing the test skips, saying so.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from api.pages import EXAMPLES
from api.settings import Settings
from tests.conftest import running_service

NODE_DIR = Path(__file__).parent / "browser"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")


async def _run(*command: str, cwd: Path) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


def _check_tools() -> bool:
    """Skips without Chromium; fails without Node; True when playwright-core must be installed."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"Chromium is not installed at {CHROMIUM} (.ci/run installs it: apt-get install chromium)"
        )
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.fail("node and npm are needed to drive Chromium with playwright-core")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return not (NODE_DIR / "node_modules" / "playwright-core").exists()


async def _browse(base_url: str) -> dict[str, Any]:
    if _check_tools():
        await _run("npm", "ci", "--silent", "--no-audit", "--no-fund", cwd=NODE_DIR)
    output = await _run("node", "explorer.mjs", base_url, str(ARTIFACTS), str(CHROMIUM), cwd=NODE_DIR)
    seen: dict[str, Any] = json.loads(output)
    return seen


async def test_explorer_runs_the_default_query_with_nothing_from_elsewhere(
    settings: Settings, release_url: str
) -> None:
    async with running_service(settings, release_url) as service:
        seen = await _browse(service.url)
        expected = await service.graphql(EXAMPLES[0].document)
        release = (await service.graphql("{ release { version date citation } }"))["data"]["release"]  # type: ignore[index]
    print(f"screenshots: {ARTIFACTS / 'explorer.png'} {ARTIFACTS / 'landing.png'}")

    explorer = seen["explorer"]
    assert explorer["title"] == "Détente"
    assert explorer["tabs"] == [example.name for example in EXAMPLES]
    assert explorer["query"] == EXAMPLES[0].document
    # The result pane shows the release's answer, exactly what the API gives any client.
    assert json.loads(explorer["result"]) == expected
    assert expected["data"]["events"]["totalCount"] > 0  # type: ignore[index]
    # The explorer plugin lists the schema's root fields.
    assert {"events", "actors", "release"} <= set(explorer["explorerPane"].split())

    landing = seen["landing"]
    assert landing["status"] == 200
    assert landing["title"] == "Détente: US–China relations in AI"
    assert landing["releaseLine"].startswith(f"Release {release['version']} of {release['date']}")
    assert landing["citation"] == release["citation"]
    assert landing["explorerLinks"] >= 1

    origin = urlsplit(service.url)
    assert seen["requests"], "the browser made no requests"
    for url in seen["requests"]:
        assert (urlsplit(url).scheme, urlsplit(url).netloc) == (origin.scheme, origin.netloc), url
    paths = [urlsplit(url).path for url in seen["requests"]]
    assert "/graphql" in paths and any(p.startswith("/static/graphiql/graphiql.min.") for p in paths)
    assert explorer["cspViolations"] == [] and landing["cspViolations"] == []
    assert seen["pageErrors"] == []
    assert seen["console"] == []
    assert (ARTIFACTS / "explorer.png").stat().st_size > 10_000
