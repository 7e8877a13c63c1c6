"""GraphQL over HTTP: the graphql-http audit suite, status codes, caching and persisted queries."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from api.settings import Settings
from db.release import RELEASE_CHANNEL
from tests.conftest import Databases, Service, running_service

NODE_DIR = Path(__file__).parent / "node"
GRAPHQL_RESPONSE = "application/graphql-response+json"


async def _run(*command: str, cwd: Path) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_graphql_http_audits_pass_without_warnings(service: Service) -> None:
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.fail("node and npm are needed for the graphql-http audits")
    if not (NODE_DIR / "node_modules" / "graphql-http").exists():
        await _run("npm", "install", "--silent", "--no-audit", "--no-fund", cwd=NODE_DIR)
    output = await _run("node", "audit.mjs", f"{service.url}/graphql", cwd=NODE_DIR)
    results = json.loads(output)
    assert len(results) >= 50
    problems = [r for r in results if r["status"] != "ok"]
    assert problems == []


async def test_request_errors_are_400_without_data_for_graphql_response_json(service: Service) -> None:
    response = await service.client.post(
        "/graphql", json={"query": "{ events { nope } }"}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "data" not in response.json()
    legacy = await service.client.post(
        "/graphql", json={"query": "{ events { nope } }"}, headers={"accept": "application/json"}
    )
    assert legacy.status_code == 200
    assert legacy.json()["data"] is None


async def test_field_errors_keep_status_200_and_data(service: Service) -> None:
    response = await service.client.post(
        "/graphql",
        json={"query": "{ events(first: 1000) { totalCount } }"},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 200
    assert response.json()["data"] is None and "errors" in response.json()


@pytest.mark.parametrize(
    ("method", "kwargs", "status"),
    [
        ("POST", {"content": b"{not json", "headers": {"content-type": "application/json"}}, 400),
        ("POST", {"content": b"[]", "headers": {"content-type": "application/json"}}, 400),
        ("POST", {"content": b'{"query": 1}', "headers": {"content-type": "application/json"}}, 400),
        (
            "POST",
            {
                "content": b'{"query": "{ topics { totalCount } }", "variables": []}',
                "headers": {"content-type": "application/json"},
            },
            400,
        ),
        ("POST", {"content": b"query", "headers": {"content-type": "text/plain"}}, 415),
        ("POST", {"json": {"query": "{ topics { totalCount } }"}, "headers": {"accept": "text/csv"}}, 406),
        ("PUT", {"json": {"query": "{ topics { totalCount } }"}}, 405),
        ("GET", {"params": {"query": "mutation { x }"}}, 405),
        ("GET", {"params": {"query": "{ topics { totalCount } }", "variables": "{bad"}}, 400),
        ("POST", {"json": {}}, 400),
    ],
)
async def test_malformed_requests(service: Service, method: str, kwargs: dict[str, Any], status: int) -> None:
    response = await service.client.request(method, "/graphql", **kwargs)
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text


async def test_get_responses_carry_etags_and_answer_304(service: Service) -> None:
    params = {"query": "{ topics { totalCount } }"}
    first = await service.client.get("/graphql", params=params, headers={"accept": GRAPHQL_RESPONSE})
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    again = await service.client.get(
        "/graphql", params=params, headers={"accept": GRAPHQL_RESPONSE, "if-none-match": etag}
    )
    assert again.status_code == 304 and again.content == b""
    other = await service.client.get(
        "/graphql", params={"query": "{ actors { totalCount } }"}, headers={"if-none-match": etag}
    )
    assert other.status_code == 200 and other.headers["etag"] != etag
    post = await service.client.post("/graphql", json=params)
    assert "etag" not in post.headers and post.headers["cache-control"] == "no-store"


async def test_etag_changes_when_a_new_release_is_loaded(
    settings: Settings, databases: Databases, fresh_url: str
) -> None:
    import asyncpg

    params = {"query": "{ topics { totalCount } }"}
    async with running_service(settings, fresh_url) as service:
        before = (await service.client.get("/graphql", params=params)).headers["etag"]
        conn = await asyncpg.connect(fresh_url)
        try:
            async with conn.transaction():  # as a seed load does: the notice goes out at commit
                await conn.execute(
                    "insert into release (version, released_on, notes, license, content_hash, row_counts) "
                    "values ('9.9.9', current_date, 'test', 'CC-BY-4.0', 'another-hash', '{}')"
                )
                await conn.execute("select pg_notify($1, 'another-hash')", RELEASE_CHANNEL)
        finally:
            await conn.close()
        after = before
        for _ in range(200):  # bounded: the listener reads the new tag as soon as it is told
            after = (await service.client.get("/graphql", params=params)).headers["etag"]
            if after != before:
                break
            await asyncio.sleep(0.05)
    assert before != after


async def test_automatic_persisted_queries(service: Service) -> None:
    query = "{ topics { totalCount } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    miss = await service.client.post("/graphql", json={"extensions": extensions})
    assert miss.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    register = await service.client.post("/graphql", json={"query": query, "extensions": extensions})
    assert register.json() == {"data": {"topics": {"totalCount": 3}}}
    hit = await service.client.get("/graphql", params={"extensions": json.dumps(extensions)})
    assert hit.json() == {"data": {"topics": {"totalCount": 3}}}
    wrong = await service.client.post(
        "/graphql", json={"query": "{ actors { totalCount } }", "extensions": extensions}
    )
    assert wrong.json()["errors"][0]["message"] == "provided sha does not match query"


async def test_allow_list_mode_runs_only_listed_documents(
    settings: Settings, databases: Databases, fresh_url: str, tmp_path: Path
) -> None:
    allowed = "{ topics { totalCount } }"
    digest = hashlib.sha256(allowed.encode()).hexdigest()
    manifest = tmp_path / "persisted.json"
    manifest.write_text(json.dumps({digest: allowed}))
    strict = settings.model_copy(update={"persisted_queries_file": manifest, "persisted_queries_only": True})
    async with running_service(strict, fresh_url) as service:
        listed = await service.client.post(
            "/graphql", json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
        )
        assert listed.json() == {"data": {"topics": {"totalCount": 3}}}
        free_text = await service.client.post("/graphql", json={"query": "{ actors { totalCount } }"})
        assert free_text.status_code == 400
        assert free_text.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"


async def test_query_cost_is_refused_before_any_sql(service: Service) -> None:
    service.queries.statements.clear()
    body = await service.graphql(
        "{ events(first: 100) { nodes { actors(first: 100) { nodes { events(first: 100) { totalCount } } } } } }"
    )
    assert "query cost 1010100 exceeds the limit of 100000" in body["errors"][0]["message"]  # type: ignore[index]
    assert service.queries.statements == []
