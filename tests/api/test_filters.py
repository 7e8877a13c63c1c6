"""Filters on every root connection, their combinators, and their bad inputs."""

from __future__ import annotations

import pytest

from tests.api.test_bad_input import assert_clean_error
from tests.api.test_queries import data
from tests.conftest import Service


async def _event_slugs(service: Service, filter_: str) -> set[str]:
    result = data(
        await service.graphql(
            f"{{ events(first: 100, filter: {filter_}) {{ totalCount nodes {{ slug }} }} }}"
        )
    )
    slugs = {n["slug"] for n in result["events"]["nodes"]}
    assert result["events"]["totalCount"] == len(slugs)
    return slugs


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ("{category: [EXPORT_CONTROL]}", {"bis-controls-2022", "bis-controls-2022-followup"}),
        ("{stance: [COOPERATIVE]}", {"bletchley-declaration", "uk-summit-announced"}),
        (
            "{datePrecision: [MONTH, YEAR]}",
            {"bis-controls-2022-followup", "cn-genai-measures-published", "uk-summit-announced"},
        ),
        (
            '{date: {from: "2023-08-01", to: "2023-12-31"}}',
            {"cn-genai-measures-take-effect", "bletchley-declaration"},
        ),
        ("{cooperationScore: {max: -1}}", {"bis-controls-2022", "bis-controls-2022-followup"}),
        ("{significance: {min: 4}}", {"bis-controls-2022", "bletchley-declaration"}),
        ('{actor: ["china"], actorRole: [TARGET]}', {"bis-controls-2022", "bis-controls-2022-followup"}),
        ('{actorCountry: ["gb"]}', {"bletchley-declaration", "uk-summit-announced"}),
        (
            "{involvesUsAndChina: true}",
            {"bis-controls-2022", "bletchley-declaration", "bis-controls-2022-followup"},
        ),
        ('{topic: ["ai-safety"]}', {"bletchley-declaration", "uk-summit-announced"}),
        (
            '{policy: ["cn-generative-ai-measures"]}',
            {"cn-genai-measures-take-effect", "cn-genai-measures-published"},
        ),
        ('{search: "controls"}', {"bis-controls-2022", "bis-controls-2022-followup"}),
        ('{search: "\\"generative AI\\" -effect"}', {"cn-genai-measures-published"}),
        (
            "{or: [{category: [SUMMIT]}, {category: [STATEMENT]}]}",
            {"bletchley-declaration", "uk-summit-announced"},
        ),
        (
            "{not: {stance: [NEUTRAL]}, and: [{significance: {max: 4}}]}",
            {"bletchley-declaration", "bis-controls-2022-followup", "uk-summit-announced"},
        ),
    ],
)
async def test_event_filters(service: Service, filter_: str, expected: set[str]) -> None:
    assert await _event_slugs(service, filter_) == expected


async def test_nested_connections_take_filters(service: Service) -> None:
    result = data(
        await service.graphql(
            '{ actor(slug: "china") { events(filter: {stance: [COMPETITIVE]}) { totalCount } } '
            '  topic(slug: "governance") { events(filter: {significance: {min: 3}}) { nodes { slug } } } }'
        )
    )
    # china is target and counterpart in one of the two competitive events: three edges.
    assert result["actor"]["events"]["totalCount"] == 3
    assert {n["slug"] for n in result["topic"]["events"]["nodes"]} == {
        "cn-genai-measures-take-effect",
        "bletchley-declaration",
    }


@pytest.mark.parametrize(
    ("field", "filter_", "expected"),
    [
        ("policies", '{issuerCountry: ["CN"]}', {"cn-generative-ai-measures"}),
        (
            "policies",
            "{instrument: [EXPORT_CONTROL], status: [AMENDED]}",
            {"bis-advanced-computing-rule-2022"},
        ),
        ("policies", '{announced: {from: "2023-01-01"}}', {"cn-generative-ai-measures"}),
        ("policies", '{search: "generative"}', {"cn-generative-ai-measures"}),
        ("actors", "{kind: [STATE]}", {"united-states", "china", "united-kingdom"}),
        ("actors", '{country: ["CN"]}', {"china", "cn-cac"}),
        ("actors", '{search: "中华"}', {"china"}),
        ("actors", '{search: "cyber"}', {"cn-cac"}),
        ("sources", '{language: ["zh"]}', {"gov-cn-aigc"}),
        ("sources", "{kind: [NEWS]}", set()),
    ],
)
async def test_other_filters(service: Service, field: str, filter_: str, expected: set[str]) -> None:
    result = data(
        await service.graphql(f"{{ {field}(filter: {filter_}) {{ totalCount nodes {{ slug }} }} }}")
    )
    assert {n["slug"] for n in result[field]["nodes"]} == expected
    assert result[field]["totalCount"] == len(expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            '{ events(filter: {actor: ["atlantis"]}) { totalCount } }',
            "unknown actor slug(s) in filter: atlantis",
        ),
        (
            '{ events(filter: {or: [{topic: ["nope"]}]}) { totalCount } }',
            "unknown topic slug(s) in filter: nope",
        ),
        (
            '{ policies(filter: {issuer: ["nobody"]}) { totalCount } }',
            "unknown issuer slug(s) in filter: nobody",
        ),
        ('{ events(filter: {search: "  "}) { totalCount } }', "search must not be empty"),
        ("{ events(filter: {stance: [FRIENDLY]}) { totalCount } }", "FRIENDLY"),
    ],
)
async def test_bad_filters_are_errors_not_empty_results(service: Service, query: str, expected: str) -> None:
    assert_clean_error(await service.graphql(query), expected)


async def test_metric_filters_and_name_orders(service: Service) -> None:
    result = data(
        await service.graphql(
            '{ observed: metrics(filter: {entity: ["china"]}) { totalCount nodes { slug } } '
            '  unobserved: metrics(filter: {entity: ["cn-cac"]}) { totalCount } '
            '  named: metrics(filter: {search: "investment"}) { totalCount } '
            "  topics(orderBy: NAME_DESC) { nodes { slug } } }"
        )
    )
    assert result["observed"] == {"totalCount": 1, "nodes": [{"slug": "private-ai-investment"}]}
    assert result["unobserved"]["totalCount"] == 0
    assert result["named"]["totalCount"] == 1
    assert [t["slug"] for t in result["topics"]["nodes"]] == ["governance", "chips", "ai-safety"]
    assert_clean_error(
        await service.graphql('{ metrics(filter: {entity: ["atlantis"]}) { totalCount } }'),
        "unknown entity slug(s) in filter: atlantis",
    )
