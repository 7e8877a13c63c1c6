"""The charts in a real browser: headless Chromium opens /charts (filters in the address, then
through the form), and both server-drawn SVGs load and render, with nothing from elsewhere.

Screenshots go to tests/artifacts/browser/ (charts.png, and charts-competitive.png after the
form was sent). Where Chromium is missing the test skips, saying so (as the explorer's does).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from api.settings import Settings
from tests.api.test_explorer_browser import ARTIFACTS, CHROMIUM, NODE_DIR, _check_tools, _run
from tests.conftest import running_service


async def _browse(base_url: str) -> dict[str, Any]:
    if _check_tools():
        await _run("npm", "ci", "--silent", "--no-audit", "--no-fund", cwd=NODE_DIR)
    output = await _run("node", "charts.mjs", base_url, str(ARTIFACTS), str(CHROMIUM), cwd=NODE_DIR)
    seen: dict[str, Any] = json.loads(output)
    return seen


async def test_charts_render_in_chromium(settings: Settings, release_url: str) -> None:
    async with running_service(settings, release_url) as service:
        seen = await _browse(service.url)
        metric = (await service.graphql("{ metrics(first: 1) { nodes { slug name } } }"))["data"]
    print(f"screenshots: {ARTIFACTS / 'charts.png'}")

    first = seen["first"]
    assert first["status"] == 200 and first["title"] == "Détente charts"
    assert "form-action 'self'" in first["headers"]["content-security-policy"]
    for images in (first["images"], seen["second"]["images"]):
        assert [i["id"] for i in images] == ["timeline", "metric-chart"]
        for image in images:  # an image that failed to load or decode has no natural size
            assert image["complete"] and (image["naturalWidth"], image["naturalHeight"]) == (960, 460), image
    timeline = parse_qs(urlsplit(first["images"][0]["src"]).query)
    assert timeline == {"involves_us_and_china": ["true"], "interval": ["YEAR"]}
    second = parse_qs(urlsplit(seen["second"]["images"][0]["src"]).query)
    assert second["stance"] == ["COMPETITIVE"] and second["involves_us_and_china"] == ["true"]

    by_src = {urlsplit(s["src"]).path: s for s in seen["svgs"]}
    assert all(s["parseError"] is None for s in seen["svgs"])
    drawn = by_src["/v1/timeline.svg"]
    assert drawn["title"] == "Cooperation index and events by stance, by year"
    assert {"Events", "Cooperation index (mean score)", "COMPETITIVE"} <= set(drawn["texts"])
    chart = by_src[f"/v1/metrics/{metric['metrics']['nodes'][0]['slug']}.svg"]  # type: ignore[index]
    assert chart["title"] == metric["metrics"]["nodes"][0]["name"]  # type: ignore[index]
    assert "Date" in chart["texts"]

    origin = urlsplit(service.url)
    for url in seen["requests"]:
        assert (urlsplit(url).scheme, urlsplit(url).netloc) == (origin.scheme, origin.netloc), url
    assert seen["cspViolations"] == [] and seen["pageErrors"] == [] and seen["console"] == []
    assert (ARTIFACTS / "charts.png").stat().st_size > 10_000
