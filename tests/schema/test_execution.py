"""schema/execution.py answers every request as strawberry's own `Schema.execute` (with the
guard and error extensions) answered it: the same data, errors, codes, masking and paths, for
good queries and for every kind of bad one, and it does not pass through strawberry's path."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import strawberry
from strawberry.types import ExecutionResult

from api.database import create_pool
from api.settings import Settings
from schema.build import DetenteSchema, build_schema
from schema.compiled.run import Runner
from schema.context import new_context
from schema.execution import run_operation
from schema.limits import QueryLimits

SCHEMA = build_schema(QueryLimits(max_depth=6, max_cost=5_000))


@pytest.fixture(scope="module")
async def pool(release_url: str, settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(release_url, settings)
    yield pool
    await pool.close()


def _formatted(result: ExecutionResult) -> str:
    return json.dumps(
        {"data": result.data, "errors": [e.formatted for e in result.errors or ()]}, sort_keys=True
    )


async def _both(
    pool: asyncpg.Pool, query: str, variables: dict[str, Any] | None, name: str | None
) -> tuple[ExecutionResult, ExecutionResult]:
    direct = await SCHEMA.execute(query, variables, new_context(pool, "req-1"), operation_name=name)
    general = await strawberry.Schema.execute(
        SCHEMA, query, variables, new_context(pool, "req-1"), operation_name=name
    )
    return direct, general


CASES: list[tuple[str, dict[str, Any] | None, str | None]] = [
    (
        "{ events(first: 2) { totalCount nodes { slug date category actors { nodes { slug } } } } }",
        None,
        None,
    ),
    ("query($s: String!) { event(slug: $s) { slug title } }", {"s": "no-such-event"}, None),
    ("query A { __typename } query B { events(first: 1) { nodes { slug } } }", None, "B"),
    ("{ events(first: 2) { nodes { slug } ", None, None),  # a syntax error
    ("{ events { nodes { nope } } }", None, None),  # a validation error
    ("query($n: Int) { events(first: $n) { nodes { slug } } }", {"n": "two"}, None),  # a variable
    ("query($d: Date) { events(filter: { date: { from: $d } }) { totalCount } }", {"d": "2024-02-30"}, None),
    ("{ events(first: 5000) { nodes { slug } } }", None, None),  # over the page limit
    (
        "{ a: events { nodes { actors { nodes { events { nodes { actors { nodes { slug } } } } } } } } }",
        None,
        None,
    ),
    ('{ events(after: "not a cursor") { nodes { slug } } }', None, None),
    ('{ node(id: "bm90IGFuIGlk") { id } }', None, None),
    ('{ a: events(after: "bad") { totalCount } b: event(slug: "x") { slug } }', None, None),
    ('{ b: event(slug: "x") { slug } a: events(first: -1) { totalCount } }', None, None),
    ("query($id: ID!) { node(id: $id) { id } }", {"id": "RXZlbnQ6eA"}, None),
    ('{ events(first: 2) { nodes { actors(after: "bad") { totalCount } } } }', None, None),  # handed back
    # Resolver steps beside plan steps, and the errors of both, in order.
    (
        '{ s: search(query: "chips", first: 2) { totalCount } e: events(first: 1) { nodes { slug } } }',
        None,
        None,
    ),
    (
        '{ a: event(slug: "x") { slug } s: search(query: "x", after: "bad") { totalCount } t: timeline { events } }',
        None,
        None,
    ),
    (
        'query($f: Int) { s: search(query: "chips", first: $f) { totalCount } e: events(first: $f) { totalCount } }',
        {"f": 500},
        None,
    ),
]


@pytest.mark.parametrize(("query", "variables", "name"), CASES)
async def test_the_same_answer_as_strawberrys_own_path(
    pool: asyncpg.Pool, query: str, variables: dict[str, Any] | None, name: str | None
) -> None:
    direct, general = await _both(pool, query, variables, name)
    assert _formatted(direct) == _formatted(general)
    assert all("code" in (e.extensions or {}) for e in direct.errors or ())
    # Again, now that its plan is known: run without building graphql-core's executor.
    again = await SCHEMA.execute(query, variables, new_context(pool, "req-1"), operation_name=name)
    assert _formatted(again) == _formatted(general)


async def test_plain_queries_do_not_go_through_strawberrys_path(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(*_: Any, **__: Any) -> Any:
        raise AssertionError("strawberry's Schema.execute ran")

    monkeypatch.setattr(strawberry.Schema, "execute", refused)
    for query, variables, name in CASES:
        result = await run_operation(SCHEMA, query, variables, name, new_context(pool, "t"))
        assert result is not None, query
        await SCHEMA.execute(query, variables, new_context(pool, "t"), operation_name=name)


async def test_what_it_does_not_take_on_goes_to_strawberrys_path(pool: asyncpg.Pool) -> None:
    # Two operations and no name: strawberry's path words that refusal.
    query = "query A { __typename } query B { __typename }"
    assert await run_operation(SCHEMA, query, None, None, new_context(pool, "t")) is None
    direct, general = await _both(pool, query, None, None)
    assert _formatted(direct) == _formatted(general)


async def test_an_internal_error_is_masked_coded_and_logged(
    pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> Any:
        raise KeyError("no such column")

    monkeypatch.setattr(Runner, "connections", broken)
    query = "{ events(first: 1) { nodes { slug } } }"
    with caplog.at_level(logging.ERROR):
        direct, general = await _both(pool, query, None, None)
    assert _formatted(direct) == _formatted(general)
    assert direct.errors is not None and len(direct.errors) == 1
    error = direct.errors[0]
    assert error.formatted["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-1"}
    assert "no such column" not in _formatted(direct)
    assert sum(r.getMessage() == "resolver error" for r in caplog.records) == 2  # once per path


def test_the_schema_is_a_detente_schema() -> None:
    assert isinstance(SCHEMA, DetenteSchema)
