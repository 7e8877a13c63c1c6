"""Search: the cross-kind `search` root field and the `search` arguments of root lists."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_bad_input import assert_clean_error
from tests.api.test_queries import data
from tests.conftest import Service

SEARCH = """
query($q: String!, $first: Int, $after: String) {
  search(query: $q, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor rank snippet node { __typename ... on Event { slug } ... on Policy { slug }
                                        ... on Actor { slug } ... on Source { slug } } }
  }
}
"""


async def _search(service: Service, q: str, **kwargs: Any) -> dict[str, Any]:
    result: dict[str, Any] = data(await service.graphql(SEARCH, {"q": q, **kwargs}))["search"]
    return result


async def test_search_across_kinds_with_ranks_and_snippets(service: Service) -> None:
    result = await _search(service, "generative")
    kinds = {(e["node"]["__typename"], e["node"]["slug"]) for e in result["edges"]}
    assert ("Policy", "cn-generative-ai-measures") in kinds
    assert ("Event", "cn-genai-measures-published") in kinds
    assert result["totalCount"] == len(result["edges"])
    ranks = [e["rank"] for e in result["edges"]]
    assert ranks == sorted(ranks, reverse=True)
    assert all("<mark>" in e["snippet"] for e in result["edges"] if e["node"]["__typename"] != "Actor")


async def test_stemming_phrases_and_exclusion(service: Service) -> None:
    stemmed = await _search(service, "control")  # matches "controls"
    assert {e["node"]["slug"] for e in stemmed["edges"]} >= {"bis-controls-2022"}
    excluded = await _search(service, "controls -provisions")
    assert "bis-controls-2022-followup" not in {e["node"]["slug"] for e in excluded["edges"]}
    phrase = await _search(service, '"safety summit"')
    assert {e["node"]["slug"] for e in phrase["edges"]} >= {"bletchley-declaration"}


@pytest.mark.parametrize(
    ("q", "slug"), [("中华", "china"), ("Cyberspace", "cn-cac"), ("us-bi", "us-bis"), ("PRC", "china")]
)
async def test_actor_names_match_in_english_chinese_slug_and_alias(
    service: Service, q: str, slug: str
) -> None:
    result = await _search(service, q)
    assert result["edges"][0]["node"] == {"__typename": "Actor", "slug": slug}


async def test_search_pages_with_cursors(service: Service) -> None:
    whole = [
        e["node"]["slug"]
        for e in (await _search(service, "china OR chips OR summit OR controls", first=100))["edges"]
    ]
    assert len(whole) >= 3
    paged: list[str] = []
    after = None
    while True:
        page = await _search(service, "china OR chips OR summit OR controls", first=2, after=after)
        paged += [e["node"]["slug"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == whole


async def test_search_arguments_on_root_lists(service: Service) -> None:
    result = data(
        await service.graphql(
            '{ events(search: "controls", filter: {significance: {min: 5}}) { nodes { slug } } '
            '  policies(search: "generative") { totalCount } actors(search: "Bureau") { nodes { slug } } '
            '  sources(search: "Commerce") { nodes { slug } } }'
        )
    )
    assert result["events"]["nodes"] == [{"slug": "bis-controls-2022"}]
    assert result["policies"]["totalCount"] == 1
    assert result["actors"]["nodes"] == [{"slug": "us-bis"}]
    assert result["sources"]["nodes"] == [{"slug": "bis-oct-2022"}]


async def test_bad_search_input(service: Service) -> None:
    assert_clean_error(await service.graphql('{ search(query: "   ") { totalCount } }'), "must not be empty")
    assert_clean_error(
        await service.graphql(f'{{ search(query: "{"x" * 300}") {{ totalCount }} }}'), "at most 200"
    )
    assert_clean_error(
        await service.graphql('{ events(search: "a", filter: {search: "b"}) { totalCount } }'), "not both"
    )
    odd = await service.graphql('{ search(query: "100% _under\\\\score & | ! (") { totalCount } }')
    assert "errors" not in odd, odd
