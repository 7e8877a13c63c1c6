"""A smoke run of the benchmark workload: a tiny generated dataset, each query a few times,
each answer checked. Timing is for `make bench`, never for tests."""

from __future__ import annotations

import json

import asyncpg

from api.settings import Settings
from bench.generate import generate
from bench.workload import rows_of, workload
from tests.conftest import Databases, running_service


async def test_the_benchmark_workload_runs_and_answers(settings: Settings, databases: Databases) -> None:
    url = await databases.create()
    counts = await generate(url, 300)
    assert counts["event"] == 300 and counts["event_actor"] >= 300
    conn = await asyncpg.connect(url)
    try:
        queries = await workload(conn)
        floor_rows = {q.name: await conn.fetch(q.floor, *q.floor_args) for q in queries}
    finally:
        await conn.close()
    async with running_service(settings, url) as service:
        for query in queries:
            for _ in range(3):
                response = await service.client.post(
                    "/graphql", content=query.body(), headers={"content-type": "application/json"}
                )
                body = response.json()
                assert response.status_code == 200 and "errors" not in body, (query.name, body)
            data = body["data"]
            if query.name in ("lookup", "page50", "deep", "node"):
                rows = rows_of(query.name, data, peer=False)
                assert rows, query.name
            if query.name == "page50":
                assert [r[0] for r in rows] == [r["slug"] for r in floor_rows["page50"]]
            if query.name == "deep":
                assert [r[0] for r in rows] == [r["slug"] for r in floor_rows["deep"]]
            if query.name == "timeline":
                assert sum(b["events"] for b in data["timeline"]) == 300
            if query.name == "search":
                assert [n["slug"] for n in data["events"]["nodes"]] == [
                    r["slug"] for r in floor_rows["search"]
                ]
        assert json.loads(queries[0].body())["variables"]["slug"].startswith("event-")
