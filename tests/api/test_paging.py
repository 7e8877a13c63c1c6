"""Paging through whole connections forward and backward, in every ordering."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_queries import data
from tests.conftest import Service

PAGE = """
query($first: Int, $after: String, $last: Int, $before: String, $order: EventOrder) {
  events(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { slug } }
  }
}
"""

ORDERS = [
    "DATE_DESC",
    "DATE_ASC",
    "TITLE_ASC",
    "SIGNIFICANCE_DESC",
    "COOPERATION_SCORE_ASC",
    "COOPERATION_SCORE_DESC",
]


async def _page(service: Service, **variables: Any) -> dict[str, Any]:
    result: dict[str, Any] = data(await service.graphql(PAGE, variables))["events"]
    return result


@pytest.mark.parametrize("order", ORDERS)
async def test_forward_and_backward_paging_match_the_unpaged_order(service: Service, order: str) -> None:
    whole = [e["node"]["slug"] for e in (await _page(service, first=100, order=order))["edges"]]
    assert len(whole) == 6

    forward: list[str] = []
    after = None
    while True:
        page = await _page(service, first=4, after=after, order=order)
        forward += [e["node"]["slug"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert forward == whole

    backward: list[str] = []
    before = None
    while True:
        page = await _page(service, last=4, before=before, order=order)
        backward = [e["node"]["slug"] for e in page["edges"]] + backward
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert backward == whole


async def test_page_info_and_cursors(service: Service) -> None:
    first = await _page(service, first=2)
    assert first["totalCount"] == 6
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]
    second = await _page(service, first=2, after=first["pageInfo"]["endCursor"])
    assert second["pageInfo"]["hasPreviousPage"] is True
    between = await _page(
        service, first=10, after=first["edges"][0]["cursor"], before=second["edges"][1]["cursor"]
    )
    assert [e["node"]["slug"] for e in between["edges"]] == [
        first["edges"][1]["node"]["slug"],
        second["edges"][0]["node"]["slug"],
    ]
    empty = await _page(service, first=0)
    assert empty["edges"] == [] and empty["pageInfo"]["hasNextPage"] is True


async def test_nested_connection_pages_by_role(service: Service) -> None:
    query = """
    query($after: String) { actor(slug: "china") {
        events(first: 2, after: $after) { pageInfo { hasNextPage endCursor } edges { role node { slug } } } } }
    """
    seen: list[tuple[str, str]] = []
    after = None
    while True:
        page = data(await service.graphql(query, {"after": after}))["actor"]["events"]
        seen += [(e["role"], e["node"]["slug"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 5


async def test_a_cursor_from_another_ordering_is_refused(service: Service) -> None:
    page = await _page(service, first=1, order="TITLE_ASC")
    body = await service.graphql(PAGE, {"first": 1, "after": page["pageInfo"]["endCursor"]})
    assert body["data"] is None
    message = body["errors"][0]["message"]  # type: ignore[index]
    assert "not valid for this list and ordering" in message


FILTERED_PAGE = """
query($first: Int, $after: String, $last: Int, $before: String) {
  events(first: $first, after: $after, last: $last, before: $before, orderBy: COOPERATION_SCORE_DESC,
         filter: {or: [{stance: [COMPETITIVE]}, {topic: ["governance"]}]}) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { slug } }
  }
}
"""


async def test_paging_under_a_filter_matches_both_ways(service: Service) -> None:
    async def page(**variables: Any) -> dict[str, Any]:
        result: dict[str, Any] = data(await service.graphql(FILTERED_PAGE, variables))["events"]
        return result

    whole = [e["node"]["slug"] for e in (await page(first=100))["edges"]]
    assert len(whole) == 5
    forward: list[str] = []
    after = None
    while True:
        current = await page(first=2, after=after)
        assert current["totalCount"] == 5
        forward += [e["node"]["slug"] for e in current["edges"]]
        if not current["pageInfo"]["hasNextPage"]:
            break
        after = current["pageInfo"]["endCursor"]
    backward: list[str] = []
    before = None
    while True:
        current = await page(last=2, before=before)
        backward = [e["node"]["slug"] for e in current["edges"]] + backward
        if not current["pageInfo"]["hasPreviousPage"]:
            break
        before = current["pageInfo"]["startCursor"]
    assert forward == whole == backward
