"""Bad input gets a clear GraphQL error: never a 500, a stack trace or SQL."""

from __future__ import annotations

import pytest

from tests.api.test_queries import data
from tests.conftest import Service

LEAKS = ("Traceback", "asyncpg", "select ", "SELECT", 'File "', "postgres")


def assert_clean_error(body: dict[str, object], expected: str) -> None:
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    text = str(errors)
    assert expected in text, text
    for leak in LEAKS:
        assert leak not in text, text


async def test_unknown_slug_is_null(service: Service) -> None:
    result = data(
        await service.graphql(
            '{ event(slug: "no-such") { id } actor(slug: "nope") { id } policy(slug: "x") { id } '
            'metric(slug: "x") { id } topic(slug: "x") { id } source(slug: "x") { id } }'
        )
    )
    assert set(result.values()) == {None}


@pytest.mark.parametrize("bad_id", ["not-base64!!", "RXZlbnQ", "Qm9ndXM6eHl6", "", "////"])
async def test_malformed_global_id(service: Service, bad_id: str) -> None:
    body = await service.graphql("query($id: ID!) { node(id: $id) { id } }", {"id": bad_id})
    assert_clean_error(body, "is not a valid global ID")


async def test_unknown_but_well_formed_global_id_is_null(service: Service) -> None:
    import base64

    unknown = base64.urlsafe_b64encode(b"Event:no-such-event").decode().rstrip("=")
    result = data(await service.graphql("query($id: ID!) { node(id: $id) { id } }", {"id": unknown}))
    assert result["node"] is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("first: 1000", "`first` must be between 0 and 100, got 1000"),
        ("first: -1", "`first` must be between 0 and 100, got -1"),
        ("last: 101", "`last` must be between 0 and 100, got 101"),
        ("first: 1, last: 1", "either `first` or `last`"),
        ('after: "garbage"', "is not valid for this list and ordering"),
        ("filter: {significance: {min: 4, max: 2}}", "significance range is empty"),
        ('filter: {date: {from: "2024-01-01", to: "2023-01-01"}}', "date range is empty"),
        ("filter: {cooperationScore: {min: -11}}", "between -10 and 10"),
        ('filter: {actorCountry: ["USA"]}', "not an ISO 3166-1 alpha-2 code"),
        ("filter: {category: [NOT_A_CATEGORY]}", "NOT_A_CATEGORY"),
    ],
)
async def test_bad_arguments(service: Service, args: str, expected: str) -> None:
    response = await service.client.post("/graphql", json={"query": f"{{ events({args}) {{ totalCount }} }}"})
    assert response.status_code < 500
    assert_clean_error(response.json(), expected)


async def test_nested_page_size_is_limited_too(service: Service) -> None:
    body = await service.graphql('{ actor(slug: "china") { events(first: 500) { totalCount } } }')
    assert_clean_error(body, "`first` must be between 0 and 100, got 500")


async def test_syntax_error(service: Service) -> None:
    response = await service.client.post("/graphql", json={"query": "{ events { "})
    assert response.status_code < 500
    assert_clean_error(response.json(), "Syntax Error")


async def test_unknown_field(service: Service) -> None:
    response = await service.client.post("/graphql", json={"query": "{ events { bogus } }"})
    assert response.status_code < 500
    assert_clean_error(response.json(), "Cannot query field 'bogus'")


async def test_too_deep_query_is_refused(service: Service) -> None:
    nested = '{ actor(slug: "china") { ' + "parent { " * 12 + "slug" + " }" * 12 + " } }"
    assert_clean_error(await service.graphql(nested), "exceeds the limit of 10")


async def test_too_many_nodes_at_once(service: Service) -> None:
    body = await service.graphql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["x"] * 101})
    assert_clean_error(body, "a list input may hold at most 100")


async def test_depth_error_names_the_limit_and_the_depth(service: Service) -> None:
    nested = '{ actor(slug: "china") { ' + "parent { " * 12 + "slug" + " }" * 12 + " } }"
    assert_clean_error(await service.graphql(nested), "query depth 14 exceeds the limit of 10")


async def test_too_many_aliases(service: Service) -> None:
    query = "{ " + " ".join(f"a{i}: topics {{ totalCount }}" for i in range(31)) + " }"
    assert_clean_error(await service.graphql(query), "31 aliases found. Allowed: 30")


async def test_too_many_tokens(service: Service) -> None:
    query = "{ " + " ".join("topics { totalCount }" for _ in range(600)) + " }"
    assert_clean_error(await service.graphql(query), "Document contains more than 2000 tokens")


async def test_every_pool_connection_has_a_statement_timeout(service: Service) -> None:
    import asyncpg

    from api.database import create_pool
    from api.settings import Settings

    pool = await create_pool(
        service.database_url, Settings(statement_timeout_ms=150, pool_min_size=1, pool_max_size=1)
    )
    try:
        assert await pool.fetchval("show statement_timeout") == "150ms"
        with pytest.raises(asyncpg.QueryCanceledError, match="statement timeout"):
            await pool.fetchval("select pg_sleep(2)")
    finally:
        await pool.close()
