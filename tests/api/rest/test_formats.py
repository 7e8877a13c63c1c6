"""CSV and NDJSON by extension or Accept, the documented flattening of relations, and
`limit=all` streaming every matching row."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
import pytest

from tests.conftest import Service


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_csv_by_extension_flattens_relations(service: Service) -> None:
    response = await service.client.get("/v1/events.csv?limit=100&order=date")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.endswith(b"\r\n")
    rows = _csv(response.text)
    body = (await service.client.get("/v1/events?limit=100&order=date")).json()
    assert [r["slug"] for r in rows] == [e["slug"] for e in body["items"]]
    by_slug: dict[str, Any] = {e["slug"]: e for e in body["items"]}
    for row in rows:
        event = by_slug[row["slug"]]
        assert row["actors"] == ";".join(f"{a['slug']}:{a['role']}" for a in event["actors"])
        assert row["sources"] == ";".join(s["slug"] for s in event["sources"])
        assert row["sourcesUrls"] == ";".join(s["url"] for s in event["sources"])
        assert row["topics"] == ";".join(t["slug"] for t in event["topics"])
        assert row["confidenceNote"] == (event["confidenceNote"] or "")
        assert row["cooperationScore"] == str(event["cooperationScore"])


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("text/csv", "text/csv"),
        ("application/x-ndjson", "application/x-ndjson"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "application/json"),
    ],
)
async def test_the_format_follows_accept(service: Service, accept: str, media: str) -> None:
    response = await service.client.get("/v1/topics", headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert "accept" in response.headers["vary"]


async def test_an_unservable_accept_is_406(service: Service) -> None:
    response = await service.client.get("/v1/topics", headers={"accept": "image/png"})
    assert response.status_code == 406 and response.json()["code"] == "NOT_ACCEPTABLE"


async def test_ndjson_is_one_item_a_line(service: Service) -> None:
    response = await service.client.get("/v1/events.ndjson?limit=5")
    lines = response.content.splitlines()
    body = (await service.client.get("/v1/events?limit=5")).json()
    assert [orjson.loads(line) for line in lines] == body["items"]


@pytest.mark.parametrize("extension", ["csv", "ndjson"])
async def test_limit_all_streams_every_matching_row(service: Service, extension: str) -> None:
    total = (await service.client.get("/v1/events?limit=1&involves_us_and_china=true")).json()["totalCount"]
    async with service.client.stream(
        "GET", f"/v1/events.{extension}?limit=all&involves_us_and_china=true"
    ) as response:
        assert response.status_code == 200
        assert "transfer-encoding" in response.headers  # written as it goes, not sized up front
        text = (await response.aread()).decode()
    rows = _csv(text) if extension == "csv" else [orjson.loads(x) for x in text.splitlines()]
    assert len(rows) == total and len({r["slug"] for r in rows}) == total


async def test_limit_all_streams_past_one_page(service: Service) -> None:
    from api.rest import routes

    original = routes.STREAM_PAGE
    routes.STREAM_PAGE = 2  # the fixture data is smaller than a real page
    try:
        response = await service.client.get("/v1/actors.csv?limit=all")
    finally:
        routes.STREAM_PAGE = original
    total = (await service.client.get("/v1/actors?limit=1")).json()["totalCount"]
    assert total > 2
    assert len({r["slug"] for r in _csv(response.text)}) == total


async def test_a_streamed_error_before_the_first_row_is_a_problem(service: Service) -> None:
    response = await service.client.get("/v1/events.csv?limit=all&category=NOPE")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_csv_of_an_empty_result_still_has_its_header(service: Service) -> None:
    response = await service.client.get("/v1/events.csv?search=zzzzqqqq")
    assert response.status_code == 200
    assert response.text.startswith("id,slug,title,")
    assert _csv(response.text) == []


async def test_aggregates_and_search_come_as_csv(service: Service) -> None:
    timeline = _csv((await service.client.get("/v1/timeline.csv?interval=YEAR")).text)
    assert timeline and {"periodStart", "scoreMean", "topEvent"} <= set(timeline[0])
    hits = _csv((await service.client.get("/v1/search.csv?q=export")).text)
    assert hits and {"kind", "slug", "rank", "snippet"} <= set(hits[0])
