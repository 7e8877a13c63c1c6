"""The REST resources against the live service on the fixture data: filters and orders as
GraphQL's, paging with cursors and Link, embedded relations and expand, items, errors as
problem+json with GraphQL's codes, ETags and caching."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Service


async def _get(service: Service, path: str, **headers: str) -> Any:
    response = await service.client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _graphql_slugs(service: Service, filter_: str, order: str = "DATE_DESC") -> list[str]:
    answer: Any = await service.graphql(
        f"{{ events(first: 100, orderBy: {order}, filter: {filter_}) {{ nodes {{ slug }} }} }}"
    )
    return [n["slug"] for n in answer["data"]["events"]["nodes"]]


@pytest.mark.parametrize(
    ("query", "filter_", "order"),
    [
        (
            "category=EXPORT_CONTROL,ENTITY_LISTING",
            "{category: [EXPORT_CONTROL, ENTITY_LISTING]}",
            "DATE_DESC",
        ),
        (
            "date_from=2023-08-01&date_to=2023-12-31",
            '{date: {from: "2023-08-01", to: "2023-12-31"}}',
            "DATE_DESC",
        ),
        ("involves_us_and_china=true&order=-significance", "{involvesUsAndChina: true}", "SIGNIFICANCE_DESC"),
        ("significance_min=4&order=date", "{significance: {min: 4}}", "DATE_ASC"),
        ("actor=china&actor_role=TARGET", '{actor: ["china"], actorRole: [TARGET]}', "DATE_DESC"),
        ("actor_country=gb&order=title", '{actorCountry: ["gb"]}', "TITLE_ASC"),
        ("search=summit", '{search: "summit"}', "DATE_DESC"),
        ("counted_in_index=false", "{countedInIndex: false}", "DATE_DESC"),
    ],
)
async def test_event_filters_and_orders_mean_what_graphql_means(
    service: Service, query: str, filter_: str, order: str
) -> None:
    body = await _get(service, f"/v1/events?limit=100&{query}")
    assert [e["slug"] for e in body["items"]] == await _graphql_slugs(service, filter_, order)
    assert body["totalCount"] == len(body["items"])


async def test_paging_follows_the_cursor_and_the_link_header(service: Service) -> None:
    everything = [e["slug"] for e in (await _get(service, "/v1/events?limit=100"))["items"]]
    seen: list[str] = []
    path: str | None = "/v1/events?limit=2&order=date"
    for _ in range(50):
        if path is None:
            break
        response = await service.client.get(path)
        body = response.json()
        seen += [e["slug"] for e in body["items"]]
        link = response.headers.get("link")
        if body["nextCursor"] is None:
            assert link is None
            path = None
        else:
            found = re.fullmatch(r'<([^>]+)>; rel="next"', link or "")
            assert found, link
            assert "after=" in found.group(1) and "order=date" in found.group(1)
            path = found.group(1)
    assert path is None
    assert sorted(seen) == sorted(everything) and len(seen) == len(set(seen))


async def test_an_event_embeds_its_relations_as_slugs_and_names(service: Service) -> None:
    event = await _get(service, "/v1/events/bis-controls-2022")
    assert event["slug"] == "bis-controls-2022"
    assert {"slug", "name", "role"} <= set(event["actors"][0])
    assert {"china"} <= {a["slug"] for a in event["actors"] if a["role"] == "TARGET"}
    assert all(set(s) == {"slug", "title", "url"} for s in event["sources"])
    assert all(set(t) == {"slug", "name"} for t in event["topics"])
    expanded = await _get(service, "/v1/events/bis-controls-2022?expand=actors,sources")
    assert {"kind", "country", "description", "role"} <= set(expanded["actors"][0])
    assert {"publisher", "kind"} <= set(expanded["sources"][0])
    assert set(expanded["topics"][0]) == {"slug", "name"}


async def test_an_event_shows_what_it_implements_and_what_implements_it(service: Service) -> None:
    effect = await _get(service, "/v1/events/cn-genai-measures-take-effect")
    assert effect["countedInIndex"] is False
    assert effect["implements"] == {
        "slug": "cn-genai-measures-published",
        "title": "China publishes generative AI measures",
    }
    assert effect["implementedBy"] == []
    published = await _get(service, "/v1/events/cn-genai-measures-published?expand=implementedBy")
    assert (published["countedInIndex"], published["implements"]) == (True, None)
    assert [(e["slug"], e["countedInIndex"]) for e in published["implementedBy"]] == [
        ("cn-genai-measures-take-effect", False)
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/policies",
        "/v1/actors?kind=STATE",
        "/v1/metrics",
        "/v1/sources?order=-published",
        "/v1/topics",
        "/v1/metrics/private-ai-investment/observations?order=-date",
        "/v1/search?q=export",
    ],
)
async def test_every_collection_answers_a_page(service: Service, path: str) -> None:
    body = await _get(service, path)
    assert body["items"] and body["totalCount"] >= len(body["items"])


@pytest.mark.parametrize("kind", ["events", "policies", "actors", "metrics", "sources", "topics"])
async def test_every_item_of_a_collection_is_found_by_its_slug(service: Service, kind: str) -> None:
    first = (await _get(service, f"/v1/{kind}?limit=1"))["items"][0]
    assert await _get(service, f"/v1/{kind}/{first['slug']}") == first


async def test_aggregates_and_release(service: Service) -> None:
    timeline = await _get(service, "/v1/timeline?interval=YEAR&involves_us_and_china=true")
    answer: Any = await service.graphql(
        "{ timeline(interval: YEAR, filter: {involvesUsAndChina: true}) { periodStart scoreMean } }"
    )
    assert [(b["periodStart"], b["scoreMean"]) for b in timeline["items"]] == [
        (b["periodStart"], b["scoreMean"]) for b in answer["data"]["timeline"]
    ]
    assert "slug" in timeline["items"][0]["topEvent"]
    counts = await _get(service, "/v1/event-counts?group_by=CATEGORY")
    assert sum(c["events"] for c in counts["items"]) >= 1
    release = await _get(service, "/v1/release")
    assert release["version"] and release["rowCounts"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1/events?colour=red&size=2", 400, "BAD_REQUEST"),
        ("/v1/events?category=NOT_A_CATEGORY", 400, "BAD_USER_INPUT"),
        ("/v1/events?date_from=2024-02-30", 400, "BAD_USER_INPUT"),
        ("/v1/events?limit=500", 400, "BAD_USER_INPUT"),
        ("/v1/events?limit=all", 400, "BAD_USER_INPUT"),
        ("/v1/events?after=nonsense", 400, "BAD_USER_INPUT"),
        ("/v1/events?actor=no-such-actor", 400, "BAD_USER_INPUT"),
        ("/v1/events?order=-colour", 400, "BAD_USER_INPUT"),
        ("/v1/events?involves_us_and_china=maybe", 400, "BAD_USER_INPUT"),
        ("/v1/events?expand=colour", 400, "BAD_REQUEST"),
        ("/v1/events/no-such-event", 404, "NOT_FOUND"),
        ("/v1/metrics/no-such-metric/observations", 404, "NOT_FOUND"),
        ("/v1/timeline", 400, "BAD_USER_INPUT"),
        ("/v1/search?q=" + "x" * 300, 400, "STRING_TOO_LONG"),
    ],
)
async def test_errors_are_problem_details_with_graphql_codes(
    service: Service, path: str, status: int, code: str
) -> None:
    response = await service.client.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["requestId"] == response.headers["x-request-id"]


async def test_unknown_parameters_are_named(service: Service) -> None:
    body = (await service.client.get("/v1/events?colour=red&size=2")).json()
    assert body["parameters"] == ["colour", "size"]
    assert "colour" in body["detail"] and "category" in body["detail"]


async def test_a_graphql_error_code_is_the_same_on_both_faces(service: Service) -> None:
    rest = (await service.client.get("/v1/events?cooperation_score_min=5&cooperation_score_max=1")).json()
    answer: Any = await service.graphql(
        "{ events(filter: {cooperationScore: {min: 5, max: 1}}) { totalCount } }"
    )
    assert rest["code"] == answer["errors"][0]["extensions"]["code"]
    assert rest["detail"] == answer["errors"][0]["message"]


async def test_etag_gives_304_and_only_error_free_answers_are_public(service: Service) -> None:
    response = await service.client.get("/v1/events?limit=3")
    etag = response.headers["etag"]
    assert response.headers["cache-control"].startswith("public")
    again = await service.client.get("/v1/events?limit=3", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    cached = await service.client.get("/v1/events?limit=3")
    assert cached.content == response.content and cached.headers["link"] == response.headers["link"]
    bad = await service.client.get("/v1/events?limit=0")
    assert "etag" not in bad.headers


async def test_cors_and_methods(service: Service) -> None:
    response = await service.client.get("/v1/topics", headers={"origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "link" in response.headers["access-control-expose-headers"]
    posted = await service.client.post("/v1/topics")
    assert posted.status_code == 405 and posted.json()["code"] == "METHOD_NOT_ALLOWED"
    head = await service.client.head("/v1/topics")
    assert head.status_code == 200 and head.content == b""


async def test_the_metric_file_urls_are_not_taken_by_the_item_route(service: Service) -> None:
    # They are the file routes' (api/rest_files): the metric's files, not the item in a format.
    for suffix, media in (
        (".csv", "text/csv"),
        (".metadata.json", "application/json"),
        (".svg", "image/svg+xml"),
    ):
        response = await service.client.get(f"/v1/metrics/private-ai-investment{suffix}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(media)
        assert "items" not in response.text[:200]
    assert (await service.client.get("/v1/timeline.svg")).headers["content-type"].startswith("image/svg+xml")
