"""The compiled executor answers exactly as graphql-core's general executor: the same JSON, byte
for byte, for every plain field of every type on every row of the real release; and whatever it
does not serve (errors, introspection, directives, search) it hands back unchanged."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    parse,
)

from api.database import create_pool, database_name
from api.settings import Settings
from db.relations import FOLD_MAX_PARENTS
from schema.build import build_schema
from schema.compiled.executor import STATS
from schema.compiled.plan import directive_variables
from schema.compiled.run import Runner
from schema.context import new_context
from schema.errors import MASKED_MESSAGE
from tests.conftest import Databases

COMPILED = build_schema()
GENERAL = build_schema(compiled=False)


@pytest.fixture(scope="module")
async def pool(release_url: str, settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(release_url, settings)
    yield pool
    await pool.close()


def _plain(schema: GraphQLSchema, type_name: str) -> str:
    """Every argument-free scalar or enum field of a type."""
    type_ = schema.type_map[type_name]
    assert isinstance(type_, GraphQLObjectType)
    names = []
    for name, field in type_.fields.items():
        inner = field.type
        while isinstance(inner, GraphQLNonNull | GraphQLList):
            inner = inner.of_type
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType) and not field.args:
            names.append(name)
    return " ".join(names)


SCHEMA = COMPILED._schema
EVENT, POLICY, ACTOR = (_plain(SCHEMA, t) for t in ("Event", "Policy", "Actor"))
SOURCE, TOPIC, METRIC, OBSERVATION = (_plain(SCHEMA, t) for t in ("Source", "Topic", "Metric", "Observation"))
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }"


async def _answers(pool: asyncpg.Pool, query: str, variables: dict[str, Any] | None) -> tuple[str, str]:
    answers = []
    for schema in (COMPILED, GENERAL):
        result = await schema.execute(query, variable_values=variables, context_value=new_context(pool, "t"))
        errors = [e.formatted for e in result.errors] if result.errors else None
        answers.append(json.dumps({"data": result.data, "errors": errors}, ensure_ascii=False))
    return answers[0], answers[1]


async def _same(pool: asyncpg.Pool, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Runs the query both ways; the compiled executor must have served it, identically."""
    compiled_before = STATS.compiled
    compiled, general = await _answers(pool, query, variables)
    answer: dict[str, Any] = json.loads(compiled)
    assert answer["errors"] is None
    assert compiled == general
    assert STATS.compiled == compiled_before + 1, "the query was not served by a plan"
    return answer


async def _every_page(pool: asyncpg.Pool, query: str, field: str) -> int:
    """Pages through a whole root list (query takes $after), comparing every page; every row
    must come exactly once. Returns the row count."""
    after, seen = None, []
    while True:
        page = (await _same(pool, query, {"after": after}))["data"][field]
        seen += [edge["node"]["slug"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"]
    return len(seen)


async def test_every_event_with_its_relations(pool: asyncpg.Pool) -> None:
    query = f"""query($after: String) {{ events(first: 100, after: $after) {{
      __typename totalCount {PAGE_INFO}
      edges {{ __typename cursor node {{
        __typename {EVENT}
        actors(first: 100) {{ totalCount {PAGE_INFO} edges {{ cursor role node {{
          {ACTOR} parent {{ slug name }} }} }} }}
        policies(orderBy: TITLE_ASC) {{ totalCount nodes {{ {POLICY} issuer {{ slug }} }} }}
        sources(first: 3, orderBy: PUBLISHED_DESC) {{ {PAGE_INFO} nodes {{ {SOURCE} }} }}
        topics {{ nodes {{ {TOPIC} }} }}
        implements {{ slug countedInIndex implements {{ slug }} }}
        implementedBy(orderBy: DATE_ASC) {{ totalCount nodes {{ slug countedInIndex implements {{ slug }} }} }}
      }} }}
    }} }}"""
    assert await _every_page(pool, query, "events") > 200


async def test_every_policy_actor_source_topic_and_metric(pool: asyncpg.Pool) -> None:
    policies = f"""query($after: String) {{ policies(first: 50, after: $after, orderBy: ANNOUNCED_DESC) {{ totalCount {PAGE_INFO}
      edges {{ node {{ {POLICY} issuer {{ {ACTOR} }} topics {{ nodes {{ slug }} }}
        sources {{ totalCount nodes {{ url }} }}
        events(first: 5, orderBy: SIGNIFICANCE_DESC) {{ totalCount edges {{ cursor node {{ slug date }} }} }}
      }} }} }} }}"""
    actors = f"""query($after: String) {{ actors(first: 100, after: $after) {{ totalCount {PAGE_INFO}
      edges {{ node {{ {ACTOR} parent {{ slug }} children(first: 3) {{ totalCount nodes {{ slug }} }}
        events(first: 3) {{ totalCount edges {{ role node {{ slug }} }} }}
        policies(first: 2) {{ nodes {{ slug }} }} sources {{ nodes {{ slug }} }}
      }} }} }} }}"""
    sources = f"""query($after: String) {{ sources(first: 100, after: $after, orderBy: PUBLISHED_DESC) {{
      totalCount {PAGE_INFO} edges {{ node {{ {SOURCE}
        events(first: 2) {{ totalCount nodes {{ slug }} }} policies(first: 2) {{ totalCount nodes {{ slug }} }}
      }} }} }} }}"""
    topics = f"""query($after: String) {{ topics(first: 100, after: $after) {{ totalCount {PAGE_INFO}
      edges {{ node {{ {TOPIC} events(first: 2) {{ totalCount }} policies(first: 2) {{ nodes {{ slug }} }} }} }}
    }} }}"""
    metrics = f"""query($after: String) {{ metrics(first: 100, after: $after) {{ totalCount {PAGE_INFO}
      edges {{ node {{ {METRIC} sources {{ nodes {{ slug }} }}
        observations(first: 100) {{ totalCount nodes {{ {OBSERVATION}
          entity {{ slug }} source {{ slug }} metric {{ slug }} }} }}
      }} }} }} }}"""
    assert await _every_page(pool, policies, "policies") > 90
    assert await _every_page(pool, actors, "actors") > 100
    assert await _every_page(pool, sources, "sources") > 500
    assert await _every_page(pool, topics, "topics") > 10
    assert await _every_page(pool, metrics, "metrics") > 40


async def test_lookups_nodes_aliases_fragments_filters_and_backward_pages(pool: asyncpg.Pool) -> None:
    first = (await _same(pool, "{ events(first: 1) { nodes { id slug } } }"))["data"]["events"]["nodes"][0]
    await _same(
        pool,
        f"""query($slug: String!, $id: ID!) {{
          __typename
          event(slug: $slug) {{ ...E }}
          missing: event(slug: "no-such-event") {{ slug }}
          node(id: $id) {{ __typename id ... on Event {{ ...E }} ... on Actor {{ name }} }}
          us: actor(slug: "united-states") {{ {ACTOR} }}
          newest: events(first: 3) {{ ...Page }}
          oldest: events(last: 3, orderBy: DATE_DESC) {{ ...Page }}
          cooperative: events(first: 5, orderBy: COOPERATION_SCORE_DESC,
                              filter: {{ stance: [COOPERATIVE], involvesUsAndChina: true }}) {{ ...Page }}
          export: events(first: 5, search: "export controls") {{ totalCount ...Page }}
          byActor: events(first: 5, filter: {{ actor: ["united-states"], actorRole: [INITIATOR] }}) {{
            totalCount ...Page }}
          chinese: policies(first: 5, filter: {{ jurisdiction: ["CN"] }}) {{ nodes {{ slug titleZh }} }}
          firms: actors(first: 5, filter: {{ kind: [COMPANY] }}, orderBy: NAME_DESC) {{ nodes {{ slug }} }}
        }}
        fragment E on Event {{ {EVENT} a: actors(first: 2) {{ edges {{ role }} }} b: actors(last: 1) {{ nodes {{ slug }} }} }}
        fragment Page on EventConnection {{ {PAGE_INFO} edges {{ cursor node {{ slug date }} }} }}
        """,
        {"slug": first["slug"], "id": first["id"]},
    )
    for type_name, field in (("Actor", "actors"), ("Policy", "policies"), ("Source", "sources")):
        row = (await _same(pool, f"{{ {field}(first: 1) {{ nodes {{ id }} }} }}"))["data"][field]["nodes"][0]
        answer = await _same(pool, "query($id: ID!) { node(id: $id) { __typename id } }", {"id": row["id"]})
        assert answer["data"]["node"]["__typename"] == type_name


async def test_a_node_no_table_backs_is_a_resolver_step_not_a_hand_back(pool: asyncpg.Pool) -> None:
    metric = "{ metrics(first: 1) { nodes { observations(first: 1) { nodes { id } } } } }"
    observation = (await _same(pool, metric))["data"]["metrics"]["nodes"][0]["observations"]["nodes"][0]
    fell_back = STATS.fell_back
    query = f"""query($id: ID!, $slug: String!) {{ node(id: $id) {{ __typename id ... on Observation {{
      {OBSERVATION} }} }} e: event(slug: $slug) {{ slug }} }}"""
    for _ in range(2):  # compiled on the first run; the known plan on the second
        answer = await _same(pool, query, {"id": observation["id"], "slug": "no-such"})
        assert answer["data"]["node"]["__typename"] == "Observation"
    assert STATS.fell_back == fell_back


@pytest.mark.parametrize("page", [7, 100])  # parents at or below FOLD_MAX_PARENTS, and above
async def test_sibling_lists_of_one_level_in_every_shape(pool: asyncpg.Pool, page: int) -> None:
    """The lists of one level (one statement for a few parents, one per list for many): the
    same relation twice with other windows, a count alone, filters, orderings, backward pages,
    a list wanting nothing, and lists below lists."""
    assert page <= FOLD_MAX_PARENTS or page > FOLD_MAX_PARENTS * 2
    query = f"""query($after: String) {{ actors(first: {page}, after: $after) {{ totalCount {PAGE_INFO}
      edges {{ node {{ slug
        firstTwo: events(first: 2, orderBy: TITLE_ASC) {{ totalCount {PAGE_INFO} edges {{ cursor role node {{ slug }} }} }}
        lastTwo: events(last: 2) {{ {PAGE_INFO} nodes {{ slug }} }}
        counted: events {{ totalCount }}
        cooperative: events(first: 3, filter: {{ stance: [COOPERATIVE] }}) {{ totalCount nodes {{ slug
          topics {{ totalCount nodes {{ slug }} }} sources(last: 1) {{ nodes {{ url }} }}
          policies(first: 1) {{ totalCount }} }} }}
        policies(first: 2) {{ totalCount nodes {{ slug issuer {{ slug }} }} }}
        children {{ __typename }}
        sources(first: 1) {{ edges {{ cursor node {{ slug }} }} }}
      }} }} }} }}"""
    assert await _every_page(pool, query, "actors") > 100
    us = (await _same(pool, '{ actor(slug: "united-states") { events(first: 5) { edges { cursor } } } }'))[
        "data"
    ]["actor"]["events"]["edges"]
    answer = await _same(
        pool,
        """query($c: String!) { actor(slug: "united-states") {
          after: events(first: 2, after: $c) { pageInfo { hasNextPage hasPreviousPage } nodes { slug } }
          before: events(last: 2, before: $c) { pageInfo { hasNextPage hasPreviousPage } nodes { slug } }
          all: events(first: 100) { totalCount nodes { slug } }
        } }""",
        {"c": us[2]["cursor"]},
    )
    assert len(answer["data"]["actor"]["before"]["nodes"]) == 2
    # lookups by slug with lists (one statement for the row and its lists), a to-one beside them
    for slug in ("united-states", "no-such-actor"):
        await _same(
            pool,
            f"""query($slug: String!) {{ actor(slug: $slug) {{ {ACTOR} parent {{ slug }}
              events(first: 3, orderBy: TITLE_ASC) {{ totalCount {PAGE_INFO} edges {{ cursor role node {{ slug
                actors(first: 2) {{ nodes {{ slug }} }} }} }} }}
              counted: policies {{ totalCount }} children {{ __typename }}
            }} }}""",
            {"slug": slug},
        )


async def test_a_page_backward_from_a_cursor_matches(pool: asyncpg.Pool) -> None:
    page = (await _same(pool, "{ events(first: 30) { edges { cursor } } }"))["data"]["events"]["edges"]
    answer = await _same(
        pool,
        f"""query($before: String!) {{ events(last: 10, before: $before) {{ {PAGE_INFO} nodes {{ slug }}
          }} }}""",
        {"before": page[-1]["cursor"]},
    )
    assert len(answer["data"]["events"]["nodes"]) == 10
    assert answer["data"]["events"]["pageInfo"]["hasPreviousPage"]


@pytest.mark.parametrize(
    "query",
    [
        '{ events(after: "not-a-cursor") { nodes { slug } } }',
        '{ events(filter: { actor: ["no-such-actor"] }) { nodes { slug } } }',
        "{ events(first: 101) { nodes { slug } } }",
        '{ node(id: "not-an-id") { id } }',
        "{ events(first: 1, last: 1) { nodes { slug } } }",
        '{ ok: events(first: 1) { nodes { slug } } bad: events(before: "x") { totalCount } }',
        '{ event(slug: "x") { slug } missing: node(id: "bm9wZTox") { id } }',
        '{ events(first: 1) { totalCount } policies(filter: { topic: ["no-such-topic"] }) { totalCount } }',
    ],
)
async def test_client_errors_in_root_fields_are_answered_by_the_plan(pool: asyncpg.Pool, query: str) -> None:
    before = (STATS.compiled, STATS.fell_back, STATS.failed)
    compiled, general = await _answers(pool, query, None)
    assert compiled == general
    assert json.loads(compiled)["errors"]
    assert (STATS.compiled, STATS.fell_back, STATS.failed) == (before[0] + 1, before[1], before[2])


async def test_a_client_error_below_the_root_is_handed_back_and_logged(
    pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    query = '{ events(first: 2) { nodes { actors(after: "bad") { nodes { slug } } } } }'
    fell_back = STATS.fell_back
    with caplog.at_level(logging.WARNING, logger="detente.compiled"):
        compiled, general = await _answers(pool, query, None)
    assert compiled == general
    (error,) = json.loads(compiled)["errors"]  # the first parent's; null propagates to the root
    assert error["path"] == ["events", "nodes", 0, "actors"]
    assert STATS.fell_back == fell_back + 1
    assert any("NestedPublicError" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


async def test_an_unexpected_exception_is_masked_and_logged_not_run_again(
    pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> Any:
        raise KeyError("no such column")

    monkeypatch.setattr(Runner, "connections", broken)
    before = (STATS.fell_back, STATS.failed)
    with caplog.at_level(logging.ERROR, logger="detente.compiled"):
        result = await COMPILED.execute(
            "{ events(first: 1) { nodes { slug } } }", context_value=new_context(pool, "req-42")
        )
    assert result.data is None and result.errors is not None and len(result.errors) == 1
    formatted = result.errors[0].formatted
    assert formatted["message"] == MASKED_MESSAGE and "no such column" not in json.dumps(formatted)
    assert formatted["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
    assert (STATS.fell_back, STATS.failed) == (before[0], before[1] + 1)
    assert any(r.levelno == logging.ERROR and "req-42" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { queryType { name } } }",
        '{ search(query: "chips", first: 3) { totalCount edges { rank node { __typename } } } }',
        "{ timeline(interval: YEAR) { periodStart events } }",
        '{ metrics(first: 1) { nodes { summary(entity: "united-states") { observations } } } }',
        # Beside planned fields: each resolver step answers for its own subtree only.
        '{ __typename events(first: 2) { nodes { slug } } search(query: "export") { totalCount } }',
        '{ t: timeline(interval: YEAR) { events } e: event(slug: "no-such") { slug } }',
    ],
)
async def test_what_plans_do_not_serve_runs_as_a_resolver_step(pool: asyncpg.Pool, query: str) -> None:
    compiled_before = STATS.compiled
    compiled, general = await _answers(pool, query, None)
    assert compiled == general
    assert json.loads(compiled)["errors"] is None, compiled  # real answers, not refusals
    assert STATS.compiled == compiled_before + 1


async def test_skip_and_include_are_planned_per_value_of_their_variables(pool: asyncpg.Pool) -> None:
    query = """query($all: Boolean!, $none: Boolean = false) { events(first: 2) { nodes {
      slug date @include(if: $all) ...F @skip(if: $none) title @skip(if: true) } } }
      fragment F on Event { category @include(if: $all) }"""
    for values in ({"all": True}, {"all": False}, {"all": True, "none": True}, {"all": False}):
        compiled_before = STATS.compiled
        answer = await _same(pool, query, values)
        node = answer["data"]["events"]["nodes"][0]
        assert ("date" in node) is values["all"] and "title" not in node
        assert ("category" in node) is (values["all"] and not values.get("none", False))
        assert STATS.compiled == compiled_before + 1


def test_the_variables_a_plan_is_compiled_per_are_those_skip_and_include_read() -> None:
    document = parse(
        "query($a: Boolean!, $b: Boolean!, $c: Int) { x @skip(if: $b) { ...F } y @include(if: true) }"
        " fragment F on T { z @include(if: $a) w @skip(if: $b) }"
    )
    assert directive_variables(document.definitions) == ("a", "b")
    assert directive_variables(parse("{ x @other { y } }").definitions) is None  # no plan serves it


async def test_a_plan_out_of_time_is_not_run_again(
    databases: Databases, template_url: str, settings: Settings
) -> None:
    url = await databases.create(template=database_name(template_url))
    conn = await asyncpg.connect(url)
    try:
        # Enough events that counting them cannot finish within the 1 ms allowed below.
        await conn.execute(
            """
            insert into event (slug, title, summary, date, date_precision, category, stance,
                               cooperation_score, score_rationale, significance, confidence)
            select 'timeout-' || i, 'Event ' || i, 'Made by the test.', date '2000-01-01' + i % 9000,
                   'DAY', 'OTHER', 'NEUTRAL', 0, 'Test.', 1 + i % 5, 'CONFIRMED'
            from generate_series(1, 60000) as i
            """
        )
    finally:
        await conn.close()

    async def one_millisecond(connection: asyncpg.Connection) -> None:
        await connection.execute("set statement_timeout = 1")

    slow = await create_pool(url, settings, one_millisecond)
    try:
        before = (STATS.timed_out, STATS.fell_back)
        result = await COMPILED.execute(
            "{ events(filter: { significance: { min: 2 } }) { totalCount } }",
            context_value=new_context(slow, "t"),
        )
    finally:
        await slow.close()
    assert result.data is None
    assert result.errors is not None and len(result.errors) == 1
    assert "statement timeout" not in result.errors[0].message  # masked, like any internal error
    assert result.errors[0].path == ["events"]
    assert (STATS.timed_out, STATS.fell_back) == (before[0] + 1, before[1])
