"""REST query strings: the direct split gives exactly what parse_qsl gives."""

from __future__ import annotations

import itertools
from urllib.parse import parse_qsl

import pytest
from starlette.requests import Request

from api.problems import Problem
from api.rest.run import query_pairs

PIECES = ["a", "b=", "=c", "d=e=f", "", "limit=50", "after=eyJrIjpbMV19", "x.y-z_~=1", "é=ü", "k=v;w"]


def _request(query: bytes) -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": "/v1/events", "headers": [], "query_string": query}
    )


def test_the_direct_split_is_parse_qsl() -> None:
    for n in range(4):
        for pieces in itertools.permutations(PIECES, n):
            joined = "&".join(pieces)
            expected = parse_qsl(joined, keep_blank_values=True, errors="strict")
            assert query_pairs(_request(joined.encode()), 10_000) == expected, joined


@pytest.mark.parametrize("query", ["a=%20b", "a+b=c", "q=%E4%B8%AD"])
def test_what_needs_unquoting_goes_through_parse_qsl(query: str) -> None:
    assert query_pairs(_request(query.encode()), 10_000) == parse_qsl(query, keep_blank_values=True)


def test_a_query_string_that_is_not_utf8_is_a_problem() -> None:
    with pytest.raises(Problem):
        query_pairs(_request(b"a=\xff"), 10_000)
