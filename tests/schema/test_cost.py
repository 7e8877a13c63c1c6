"""schema/cost.py: the size, alias and depth limits are a validation rule that graphql-core's
`validate` runs beside its own rules, on every operation of a document; the cost, which reads
the variables, is measured after validation."""

from __future__ import annotations

import pytest
from graphql import GraphQLError, parse, specified_rules, validate

from schema.build import build_schema
from schema.cost import LimitError, operation_cost, shape_rule
from schema.limits import QueryLimits

LIMITS = QueryLimits(max_depth=3, max_aliases=2, max_expanded_fields=40, max_cost=500)
SCHEMA = build_schema(LIMITS)
GRAPHQL_SCHEMA = SCHEMA._schema

# Depth 5: events > nodes > actors > nodes > slug (each field is a level, the leaf too).
DEEP = "query Deep { events { nodes { actors { nodes { slug } } } } }"
SHALLOW = "query Shallow { events { nodes { slug } } }"


def _codes(errors: list[GraphQLError]) -> list[str]:
    return [str((e.extensions or {}).get("code")) for e in errors]


def test_graphql_cores_validate_runs_the_rule_beside_its_own() -> None:
    errors = validate(GRAPHQL_SCHEMA, parse(DEEP), [*specified_rules, shape_rule(LIMITS)])
    assert _codes(errors) == ["QUERY_TOO_DEEP"]
    assert errors[0].message == "query depth 5 exceeds the limit of 3"
    assert validate(GRAPHQL_SCHEMA, parse(SHALLOW), [*specified_rules, shape_rule(LIMITS)]) == []


def test_each_limit_in_turn_size_then_aliases_then_depth() -> None:
    rule = shape_rule(LIMITS)
    aliased = "{ a: events { nodes { slug } } b: events { nodes { slug } } c: topics { nodes { slug } } }"
    assert _codes(validate(GRAPHQL_SCHEMA, parse(aliased), [rule])) == ["QUERY_TOO_MANY_ALIASES"]
    # 10 spreads of a 5-field fragment: 50 fields once expanded, over 40, though short to write.
    fanned = (
        "fragment F on Event { slug title date stance category } { events { nodes { "
        + ("...F " * 10)
        + "} } }"
    )
    errors = validate(GRAPHQL_SCHEMA, parse(fanned), [rule])
    assert _codes(errors) == ["QUERY_TOO_LARGE"]
    assert (errors[0].extensions or {})["fields"] == 52


def test_every_operation_of_a_document_is_held_to_the_limits() -> None:
    """Even one a request does not name: the verdict belongs to the document, and is cached so."""
    document = parse(f"{SHALLOW} {DEEP}")
    assert _codes(validate(GRAPHQL_SCHEMA, document, [shape_rule(LIMITS)])) == ["QUERY_TOO_DEEP"]


def test_a_refused_document_is_refused_again_not_kept_as_valid() -> None:
    documents = SCHEMA.documents
    document = documents.parse(DEEP)
    for _ in range(2):
        assert _codes(documents.validate(GRAPHQL_SCHEMA, DEEP, document, [])) == ["QUERY_TOO_DEEP"]
    assert documents.valid.get(DEEP) is None


def test_the_cost_reads_page_sizes_from_the_variables() -> None:
    query = "query Page($n: Int) { events(first: $n) { nodes { slug } } }"
    document = parse(query)
    assert operation_cost(GRAPHQL_SCHEMA, document, {"n": 50}, None, LIMITS) == 50
    with pytest.raises(LimitError) as refused:
        operation_cost(GRAPHQL_SCHEMA, document, {"n": 501}, None, LIMITS)
    assert (refused.value.extensions or {})["code"] == "QUERY_TOO_COSTLY"
