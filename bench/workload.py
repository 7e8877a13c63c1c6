"""The benchmark's fixed queries (bench/queries/*) and the variables each needs on a dataset."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from db.events import EVENTS
from schema.globalid import to_global_id
from schema.paging import encode_cursor

QUERIES_DIR = Path(__file__).parent / "queries"
NAMES = ["lookup", "page50", "search", "timeline", "deep", "node"]


@dataclass
class Query:
    name: str
    ours: str
    peer: str | None
    floor: str
    ours_variables: dict[str, Any] = field(default_factory=dict)
    peer_variables: dict[str, Any] = field(default_factory=dict)
    floor_args: tuple[Any, ...] = ()

    def body(self, peer: bool = False) -> str:
        text = self.peer if peer else self.ours
        variables = self.peer_variables if peer else self.ours_variables
        return json.dumps({"query": text, "variables": variables})


def _read(name: str, suffix: str) -> str | None:
    path = QUERIES_DIR / f"{name}{suffix}"
    return path.read_text(encoding="utf-8") if path.exists() else None


async def workload(conn: asyncpg.Connection) -> list[Query]:
    """The queries with variables chosen on this dataset: a mid-list slug, a cursor 90% through."""
    total = await conn.fetchval("select count(*) from event")
    middle = await conn.fetchrow(
        "select slug from event order by date desc, id desc offset $1 limit 1", total // 2
    )
    deep_offset = int(total * 0.9)
    deep = await conn.fetchrow(
        "select date, id from event order by date desc, id desc offset $1 limit 1", deep_offset
    )
    assert middle is not None and deep is not None
    slug = middle["slug"]
    cursor = encode_cursor(EVENTS.ordering("DATE_DESC"), (deep["date"], deep["id"]))
    queries = []
    for name in NAMES:
        ours = _read(name, ".graphql")
        floor = _read(name, ".sql")
        assert ours is not None and floor is not None
        query = Query(name, ours, _read(name, ".postgraphile.graphql"), floor)
        if name == "lookup":
            query.ours_variables = query.peer_variables = {"slug": slug}
            query.floor_args = (slug,)
        elif name == "deep":
            query.ours_variables = {"after": cursor}
            query.peer_variables = {"offset": deep_offset + 1}
            query.floor_args = (deep["date"], deep["id"])
        elif name == "node":
            query.ours_variables = {"id": to_global_id("Event", slug)}
            query.floor_args = (slug,)
            query.peer_variables = {"slug": slug}  # replaced by the peer's own node id at run time
        queries.append(query)
    return queries


def rows_of(name: str, data: dict[str, Any], peer: bool) -> Any:
    """What a query returned, normalised so our answer and the peer's can be compared."""

    def event(e: dict[str, Any]) -> tuple[Any, ...]:
        if peer:
            actors = sorted(
                (x["role"], x["actorByActorId"]["slug"]) for x in e["eventActorsByEventId"]["nodes"]
            )
            sources = sorted(x["sourceBySourceId"]["url"] for x in e["eventSourcesByEventId"]["nodes"])
            topics = sorted(x["topicByTopicId"]["slug"] for x in e["eventTopicsByEventId"]["nodes"])
            policies = sorted(x["policyByPolicyId"]["slug"] for x in e["eventPoliciesByEventId"]["nodes"])
        else:
            actors = sorted((x["role"], x["node"]["slug"]) for x in e["actors"]["edges"])
            sources = sorted(x["url"] for x in e["sources"]["nodes"])
            topics = sorted(x["slug"] for x in e["topics"]["nodes"])
            policies = sorted(x["slug"] for x in e["policies"]["nodes"])
        return (e["slug"], e["title"], e["date"], actors, sources, topics, policies)

    if name == "lookup":
        return event(data["eventBySlug" if peer else "event"])
    if name == "page50":
        nodes = data["allEvents"]["nodes"] if peer else [x["node"] for x in data["events"]["edges"]]
        return [event(e) for e in nodes]
    if name == "deep":
        return [(e["slug"], e["date"]) for e in data["allEvents" if peer else "events"]["nodes"]]
    if name == "node":
        return (data["node"]["slug"], data["node"]["date"])
    return data
