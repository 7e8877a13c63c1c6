"""The SVG charts: well-formed, escaped, titled, drawn from the same answers as GraphQL's, with
the same filters and errors; and the /charts page."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from api.rest_files import svg
from tests.conftest import Service

NS = {"s": "http://www.w3.org/2000/svg"}


def test_text_is_escaped_and_the_svg_well_formed() -> None:
    hostile = '<script>alert("x")</script> & co'
    drawn = svg.metric_svg(
        hostile,
        "USD & <b>",
        [svg.Point(hostile, "2024-01-01", 3.5), svg.Point("china", "2025-06-01", -1.0)],
        hostile,
    )
    assert "<script" not in drawn
    root = ET.fromstring(drawn)
    assert root.find("s:title", NS).text == hostile  # type: ignore[union-attr]
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "USD & <b>" in texts and "Date" in texts
    assert len(root.findall("s:polyline", NS)) == 2  # a line per entity
    empty = ET.fromstring(svg.timeline_svg([], "QUARTER", hostile))
    assert "No events match these filters." in [
        t.text for t in empty.iter("{http://www.w3.org/2000/svg}text")
    ]


async def test_timeline_svg_draws_the_graphql_timeline(service: Service) -> None:
    params = {"category": "EXPORT_CONTROL,SUMMIT", "date_from": "2020-01-01"}
    response = await service.client.get("/v1/timeline.svg", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["etag"] and "public" in response.headers["cache-control"]
    buckets = (
        await service.graphql(
            '{ timeline(interval: QUARTER, filter: {category: [EXPORT_CONTROL, SUMMIT], date: {from: "2020-01-01"}})'
            " { periodStart events scoreMean } }"
        )
    )["data"]["timeline"]  # type: ignore[index]
    root = ET.fromstring(response.text)
    dots = [c.find("s:title", NS).text for c in root.findall("s:circle", NS)]  # type: ignore[union-attr]
    assert len(dots) == len(buckets) > 0
    for dot, bucket in zip(dots, buckets, strict=True):
        assert f"index {bucket['scoreMean']:+.2f} over {bucket['events']} events" in str(dot)
    assert root.find("s:title", NS).text == "Cooperation index and events by stance, by quarter"  # type: ignore[union-attr]
    again = await service.client.get(
        "/v1/timeline.svg", params=params, headers={"if-none-match": response.headers["etag"]}
    )
    assert again.status_code == 304


async def test_chart_errors_are_problems(service: Service) -> None:
    cases = {
        "category=NOT_A_CATEGORY": (400, "BAD_USER_INPUT"),
        "date_from=2024-02-30": (400, "BAD_USER_INPUT"),
        "significance_min=9&significance_max=1": (400, "BAD_USER_INPUT"),
        "interval=WEEK": (400, "BAD_USER_INPUT"),
        "colour=red": (400, "BAD_REQUEST"),  # as on /v1/timeline: one definition of the parameters
    }
    for query, (status, code) in cases.items():
        response = await service.client.get(f"/v1/timeline.svg?{query}")
        assert (response.status_code, response.json()["code"]) == (status, code), query
        assert response.headers["content-type"] == "application/problem+json"
    missing = await service.client.get("/v1/metrics/no-such-metric.svg")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    long = await service.client.get("/v1/timeline.svg?actor=" + "a" * 9000)
    assert long.status_code == 414 and long.json()["code"] == "URI_TOO_LONG"


async def test_charts_page_shows_both_charts_with_the_filters(service: Service) -> None:
    response = await service.client.get("/charts", params={"stance": "COOPERATIVE", "metric": "<x>"})
    assert response.status_code == 200
    page = response.text
    assert "script" not in page.lower()
    assert "form-action 'self'" in response.headers["content-security-policy"]
    assert 'src="/v1/timeline.svg?stance=COOPERATIVE&amp;interval=QUARTER"' in page
    assert 'value="COOPERATIVE" checked' in page
    assert "No metric has the slug &#x27;&lt;x&gt;&#x27;" in page  # named, escaped, and not drawn
    refused = await service.client.get("/charts", params={"date_from": "2024-13-01"})
    assert 'class="problem"' in refused.text
