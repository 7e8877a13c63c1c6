"""No N+1: a nested query runs the same number of SQL statements for 10 events as for 100."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from api.settings import Settings
from tests.api.test_queries import data
from tests.conftest import Databases, Service, running_service

NESTED = """
query($n: Int!) {
  events(first: $n) {
    totalCount
    nodes {
      slug
      actors { totalCount edges { role node { slug parent { slug } } } }
      sources { nodes { slug } }
      topics { nodes { slug } }
      policies { nodes { slug issuer { slug } } }
    }
  }
}
"""


async def _add_synthetic_events(url: str, count: int) -> None:
    """Events each linked to actors, sources, topics and a policy of the fixture data."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            """
            insert into event (slug, title, summary, date, date_precision, category, stance,
                               cooperation_score, score_rationale, significance, confidence)
            select 'synthetic-' || i, 'Synthetic event ' || i, 'Made by the test.',
                   date '2020-01-01' + i, 'DAY', 'OTHER', 'NEUTRAL', 0, 'Test.', 1, 'CONFIRMED'
            from generate_series(1, $1) as i
            """,
            count,
        )
        for link, column, table in (
            ("event_topic", "topic_id", "topic"),
            ("event_source", "source_id", "source"),
            ("event_policy", "policy_id", "policy"),
        ):
            await conn.execute(
                f"insert into {link} (event_id, {column}) "
                f"select e.id, x.id from event e cross join {table} x where e.slug like 'synthetic-%'"
            )
        await conn.execute(
            "insert into event_actor (event_id, actor_id, role) "
            "select e.id, a.id, 'PARTICIPANT' from event e cross join actor a "
            "where e.slug like 'synthetic-%'"
        )
    finally:
        await conn.close()


async def _statements_by_page_size(
    service: Service, query: str, check: Callable[[int, dict[str, Any]], None]
) -> dict[int, tuple[int, int]]:
    """(statements, distinct statements) the query ran for 3, 20 and 100 events: 3 is below
    FOLD_MAX_PARENTS (the lists of a level share a statement), 20 and 100 above it."""
    # Warm up: a new connection's first statements include asyncpg's type introspection.
    data(await service.graphql(query, {"n": 100}))
    counts = {}
    for n in (3, 20, 100):
        service.queries.statements.clear()
        check(n, data(await service.graphql(query, {"n": n})))
        counts[n] = (len(service.queries.statements), len(set(service.queries.statements)))
    return counts


def _check_nested(n: int, result: dict[str, Any]) -> None:
    assert len(result["events"]["nodes"]) == n
    if n < 10:  # the newest events are the fixture's own
        return
    synthetic = result["events"]["nodes"][-1]
    assert synthetic["slug"].startswith("synthetic-")
    assert synthetic["actors"]["totalCount"] == 5
    assert len(synthetic["policies"]["nodes"]) == 2


def _page_size_of(field: str) -> Callable[[int, dict[str, Any]], None]:
    """A check that the root list `field` answered a page of n."""

    def check(n: int, result: dict[str, Any]) -> None:
        assert len(result[field]["nodes"]) == n

    return check


async def test_statement_count_does_not_grow_with_events(
    settings: Settings, databases: Databases, fresh_url: str
) -> None:
    await _add_synthetic_events(fresh_url, 100)
    async with running_service(settings, fresh_url) as service:
        counts = await _statements_by_page_size(service, NESTED, _check_nested)
    # The same statements run for 20 events as for 100: root page, count, and one per relation
    # (actors, actor counts, sources, topics, policies) and per parent lookup (actor parents and
    # policy issuers are the same statement on the actor table, run once for each).
    assert counts[20][1] == counts[100][1] == 8, counts
    assert counts[20][0] <= 9 and counts[100][0] <= 9, counts
    # For 3 events the events' lists share one statement: root page, count, lists, lookups.
    assert counts[3][1] == 4 and counts[3][0] <= 5, counts


FILTERED = """
query($n: Int!) {
  events(first: $n, search: "synthetic", orderBy: SIGNIFICANCE_DESC,
         filter: {or: [{category: [OTHER]}, {stance: [NEUTRAL]}], significance: {max: 3}}) {
    nodes {
      slug
      actors(orderBy: NAME_DESC) { totalCount edges { role node { slug } } }
      topics { nodes { slug events(filter: {stance: [NEUTRAL]}, orderBy: TITLE_ASC, first: 2) { totalCount } } }
      policies(orderBy: TITLE_ASC) { nodes { slug events(filter: {actorCountry: ["CN"]}) { totalCount } } }
    }
  }
}
"""


async def test_filtered_ordered_searched_nested_queries_do_not_grow(
    settings: Settings, databases: Databases, fresh_url: str
) -> None:
    await _add_synthetic_events(fresh_url, 100)
    async with running_service(settings, fresh_url) as service:
        counts = await _statements_by_page_size(service, FILTERED, _page_size_of("events"))
    assert counts[20][1] == counts[100][1], counts
    assert counts[20][0] <= 12 and counts[100][0] <= 12, counts
    # root page, count, the events' lists in one, the topics' and the policies' events in one each
    assert counts[3][0] <= 5, counts


LOOKUP = """
query($slug: String!) {
  event(slug: $slug) {
    slug title
    actors { totalCount edges { role node { slug name } } }
    sources { nodes { url } }
    topics { nodes { slug } }
    policies(first: 3) { totalCount nodes { slug } }
  }
}
"""


async def test_a_lookup_with_four_relations_is_one_statement(
    settings: Settings, databases: Databases, fresh_url: str
) -> None:
    await _add_synthetic_events(fresh_url, 3)
    async with running_service(settings, fresh_url) as service:
        data(await service.graphql(LOOKUP, {"slug": "synthetic-2"}))  # asyncpg's first statements
        service.queries.statements.clear()
        event = data(await service.graphql(LOOKUP, {"slug": "synthetic-2"}))["event"]
        statements = list(service.queries.statements)
    assert event["actors"]["totalCount"] == 5 and len(event["policies"]["nodes"]) == 2, event
    # the event by its slug with its four lists (and both counts), in one statement
    assert len(statements) == 1, statements


SEARCHED = """
query($n: Int!) {
  search(query: "synthetic", first: $n) {
    totalCount
    nodes { ... on Event { slug actors { totalCount nodes { slug } } topics { nodes { slug } } } }
  }
}
"""


async def test_a_resolver_step_does_not_grow_either(
    settings: Settings, databases: Databases, fresh_url: str
) -> None:
    # `search` is no plan step: graphql-core resolves it inside the plan, through the loaders.
    await _add_synthetic_events(fresh_url, 100)
    async with running_service(settings, fresh_url) as service:
        counts = await _statements_by_page_size(service, SEARCHED, _page_size_of("search"))
    assert counts[3][1] == counts[20][1] == counts[100][1], counts
    assert counts[3][0] == counts[20][0] == counts[100][0], counts
