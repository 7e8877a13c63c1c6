"""Issue 9, findings 1, 2, 5, 6 (input caps), 7, 8 and 11: the shapes an outside tester sent,
each refused with a clear error and a stable code, and the service free meanwhile."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

import httpx
import pytest

from schema.build import build_schema
from schema.limits import DEFAULT_LIMITS, QueryLimits
from tests.conftest import Service

GRAPHQL_RESPONSE = "application/graphql-response+json"
LEAKS = ("Traceback", "asyncpg", "select ", "SELECT", 'File "', "postgres", ".py")


async def post(service: Service, body: Any, **headers: str) -> httpx.Response:
    return await service.client.post(
        "/graphql",
        content=json.dumps(body),
        headers={"content-type": "application/json", "accept": GRAPHQL_RESPONSE, **headers},
    )


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith(
        ("application/graphql-response+json", "application/json")
    )
    body = response.json()
    assert body.get("errors"), body
    text = json.dumps(body)
    for leak in LEAKS:
        assert leak not in text, text
    error: dict[str, Any] = body["errors"][0]
    return error


def fan_out(levels: int) -> str:
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on Query {{ release {{ version }} }}")
    return "query { ...F0 } " + " ".join(fragments)


async def test_fragment_fan_out_is_refused_and_the_loop_stays_free(service: Service) -> None:
    bomb = asyncio.ensure_future(post(service, {"query": fan_out(20)}))
    health = await service.client.get("/health")
    assert health.status_code == 200
    response = await bomb
    assert response.status_code == 400
    error = error_of(response)
    assert error["extensions"]["code"] == "QUERY_TOO_LARGE"
    assert "2097152 fields once its fragments are expanded" in error["message"]


def test_fan_out_measures_are_exact_within_the_limit() -> None:
    # 2^8 spreads of `release { version }` is 512 fields expanded: under the limit, and counted
    # exactly, although each fragment is measured once.
    from graphql import parse

    from schema.cost import _Analysis, _operation

    schema = build_schema()._schema
    operation, fragments = _operation(parse(fan_out(8)), None)
    assert operation is not None
    assert _Analysis(schema, fragments, {}).shape(operation.selection_set).fields == 512


async def test_variable_defaults_are_costed_as_given(service: Service) -> None:
    aliases = " ".join(
        f"a{i}: events(first: $n) {{ nodes {{ actors(first: $n) {{ nodes {{ name }} }} }} }}"
        for i in range(11)
    )
    response = await post(service, {"query": f"query($n: Int = 100) {{ {aliases} }}"})
    error = error_of(response)
    assert response.status_code == 400
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 111100, "limit": 100000}


async def test_id_lists_multiply_the_cost(service: Service) -> None:
    query = (
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Actor { "
        "events(first: 100) { nodes { actors(first: 100) { nodes { name } } } } } } }"
    )
    response = await post(service, {"query": query, "variables": {"ids": ["QWN0b3I6Y2hpbmE"] * 100}})
    error = error_of(response)
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["cost"] == 100 + 100 * (100 + 100 * 100)


async def test_body_over_the_limit_is_413(service: Service) -> None:
    response = await post(service, {"query": "{ release { version } }", "pad": "x" * 1_100_000})
    assert response.status_code == 413
    assert error_of(response)["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_query_string_over_the_limit_is_414(service: Service) -> None:
    response = await service.client.get("/graphql", params={"query": "{ release { version } }" + " " * 9000})
    assert response.status_code == 414
    assert error_of(response)["extensions"]["code"] == "URI_TOO_LONG"


async def test_an_over_long_document_is_refused_before_parsing(service: Service) -> None:
    response = await post(service, {"query": "{ release { version } }" + "#" * 70_000})
    assert response.status_code == 400
    assert error_of(response)["extensions"]["code"] == "QUERY_TOO_LARGE"


async def test_a_persisted_query_is_kept_only_once_it_validated(service: Service) -> None:
    broken = "{ release { version " * 10
    digest = hashlib.sha256(broken.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    first = await post(service, {"query": broken, "extensions": extensions})
    assert error_of(first)["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    again = await post(service, {"extensions": extensions})
    assert error_of(again)["message"] == "PersistedQueryNotFound"

    good = "{ release { version } }"
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(good.encode()).hexdigest()}}
    assert (await post(service, {"query": good, "extensions": extensions})).json()["data"]
    assert (await post(service, {"extensions": extensions})).json()["data"]["release"]["version"]


async def test_document_caches_are_bounded_by_bytes(template_url: str) -> None:
    limits = QueryLimits(document_cache_bytes=2_000_000)
    schema = build_schema(limits)
    for i in range(40):
        schema.documents.parse("{ release { version } }" + f"# {i} " + "x" * 5_000)
    assert schema.documents.parsed.bytes <= 2_000_000
    assert 0 < len(schema.documents.parsed) < 40


@pytest.mark.parametrize(
    ("variables", "code", "expected"),
    [
        ({"f": {"search": "x" * 300_000}}, "STRING_TOO_LONG", "a search string may have at most 200"),
        ({"f": {"or": [{"kind": ["STATE"]}] * 40_000}}, "LIST_TOO_LONG", "has 40000 items"),
        ({"f": {"name": "a\u0000b"}}, "BAD_USER_INPUT", "NUL character"),
    ],
)
async def test_inputs_are_capped(
    service: Service, variables: dict[str, Any], code: str, expected: str
) -> None:
    query = "query($f: ActorFilter) { actors(filter: $f) { totalCount } }"
    response = await post(service, {"query": query, "variables": variables})
    error = error_of(response)
    assert error["extensions"]["code"] == code, error
    assert expected in error["message"]
    assert len(error["message"]) < 300


async def test_deeply_nested_input_is_refused(service: Service) -> None:
    nested: Any = {"kind": ["STATE"]}
    for _ in range(DEFAULT_LIMITS.max_input_depth + 2):
        nested = {"not": nested}
    response = await post(
        service,
        {"query": "query($f: ActorFilter) { actors(filter: $f) { totalCount } }", "variables": {"f": nested}},
    )
    assert error_of(response)["extensions"]["code"] == "INPUT_TOO_DEEP"


async def test_deep_json_body_is_a_400(service: Service) -> None:
    body = '{"query": "{ release { version } }", "variables": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    response = await service.client.post(
        "/graphql", content=body, headers={"content-type": "application/json", "accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert "not valid JSON" in error_of(response)["message"]


async def test_deep_json_in_get_variables_is_a_400(service: Service) -> None:
    variables = "[" * 1100 + "]" * 1100  # past orjson's 1,024 levels, within the URL limit
    response = await service.client.get(
        "/graphql",
        params={"query": "{ release { version } }", "variables": variables},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    assert "not valid JSON" in error_of(response)["message"]


async def test_a_lone_surrogate_is_a_400(service: Service) -> None:
    body = (
        '{"query": "query($s: String) { actors(search: $s) { totalCount } }", "variables": {"s": "\\ud800"}}'
    )
    response = await service.client.post(
        "/graphql", content=body, headers={"content-type": "application/json", "accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert "surrogate" in error_of(response)["message"]


async def test_an_invalid_date_variable_is_the_clients_mistake(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    query = "query($d: Date) { events(filter: {date: {from: $d}}) { totalCount } }"
    with caplog.at_level(logging.INFO, logger="detente.graphql"):
        response = await post(service, {"query": query, "variables": {"d": "2024-02-30"}})
    assert response.status_code == 400
    error = error_of(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "2024-02-30" in error["message"] and "day is out of range" in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_head_is_a_get_without_a_body(service: Service) -> None:
    response = await service.client.head("/graphql", params={"query": "{ release { version } }"})
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["etag"]


async def test_security_headers_and_no_server_header(service: Service) -> None:
    response = await service.client.get("/health")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "server" not in response.headers


@pytest.mark.parametrize("given", ["<script>alert(1)</script>", "a" * 65, "id with space", ""])
async def test_an_insane_request_id_is_replaced(service: Service, given: str) -> None:
    response = await service.client.get("/health", headers={"x-request-id": given})
    returned = response.headers["x-request-id"]
    assert returned != given and len(returned) == 32


async def test_a_sane_request_id_is_kept(service: Service) -> None:
    response = await service.client.get("/health", headers={"x-request-id": "trace-42.a_b"})
    assert response.headers["x-request-id"] == "trace-42.a_b"


async def test_errors_do_not_echo_long_inputs(service: Service) -> None:
    cursor = "Z" * 900
    response = await post(service, {"query": f'{{ events(first: 1, after: "{cursor}") {{ totalCount }} }}'})
    error = error_of(response)
    assert "is not valid for this list" in error["message"]
    assert "(900 characters)" in error["message"] and len(error["message"]) < 400
