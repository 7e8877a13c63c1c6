"""Synthetic datasets at scale, for benchmarks: N events with actors, roles, sources, topics and
policies in realistic proportions and skew, written with COPY into their own database.

    python -m bench.generate --events 100000 --database-url postgresql://…/detente_bench_100k

Proportions follow the curated release: about 2.5 actors, 2.4 sources, 2 topics and 0.4
policies per event; one actor in ten takes part in most events (Zipf-like skew), as the US
and China do in the real data.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
from collections.abc import Iterator

import asyncpg

from db.migrate import migrate

CATEGORIES = [
    "SUMMIT",
    "DIALOGUE",
    "AGREEMENT",
    "RESOLUTION",
    "STATEMENT",
    "LEGISLATION",
    "REGULATION",
    "EXPORT_CONTROL",
    "ENTITY_LISTING",
    "INVESTIGATION",
    "TARIFF",
    "MODEL_RELEASE",
    "PRODUCT_RELEASE",
    "MARKET_MOVE",
    "RESEARCH_COLLABORATION",
]
STANCES = ["COOPERATIVE", "COMPETITIVE", "MIXED", "NEUTRAL"]
ROLES = ["INITIATOR", "COUNTERPART", "PARTICIPANT", "TARGET"]
WORDS = [
    "export",
    "controls",
    "chips",
    "semiconductor",
    "summit",
    "dialogue",
    "safety",
    "model",
    "release",
    "investment",
    "research",
    "talent",
    "tariff",
    "gallium",
    "declaration",
    "resolution",
    "cooperation",
    "competition",
    "data",
    "compute",
    "frontier",
    "open",
    "source",
    "military",
    "agreement",
]
START = dt.date(2017, 1, 1)
DAYS = 3500


def _skewed(rng: random.Random, n: int) -> int:
    """An index in [0, n) where low indexes are far more likely (Zipf-like)."""
    return min(int(rng.paretovariate(1.2)) - 1, n - 1)


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


async def generate(url: str, events: int, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    actors = max(200, events // 10)
    sources = max(300, events // 2)
    policies = max(50, events // 20)
    topics = 16
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        await conn.execute(
            "truncate event, policy, actor, topic, source, metric, observation, release "
            "restart identity cascade"
        )
        await conn.copy_records_to_table(
            "topic",
            columns=["slug", "name", "description"],
            records=[(f"topic-{i}", f"Topic {i}", _text(rng, 8)) for i in range(topics)],
        )
        await conn.copy_records_to_table(
            "source",
            columns=["slug", "title", "publisher", "url", "accessed_on", "kind", "language"],
            records=[
                (
                    f"source-{i}",
                    f"Source {i}: {_text(rng, 6)}",
                    f"Publisher {i % 97}",
                    f"https://example.org/source/{i}",
                    dt.date(2026, 11, 25),
                    "NEWS",
                    "en",
                )
                for i in range(sources)
            ],
        )
        await conn.copy_records_to_table(
            "actor",
            columns=["slug", "name", "name_zh", "kind", "country", "description", "aliases"],
            records=[
                (f"actor-{i}", f"Actor {i}", None, "COMPANY", "US" if i % 2 else "CN", _text(rng, 10), [])
                for i in range(actors)
            ],
        )
        actor_ids = [r["id"] for r in await conn.fetch("select id from actor order by id")]
        await conn.copy_records_to_table(
            "policy",
            columns=[
                "slug",
                "title",
                "issuer_id",
                "jurisdiction",
                "instrument",
                "status",
                "announced_on",
                "summary",
                "stance",
                "confidence",
            ],
            records=[
                (
                    f"policy-{i}",
                    f"Policy {i}: {_text(rng, 5)}",
                    actor_ids[_skewed(rng, actors)],
                    "US",
                    "REGULATION",
                    "IN_FORCE",
                    START + dt.timedelta(days=rng.randrange(DAYS)),
                    _text(rng, 30),
                    rng.choice(STANCES),
                    "CONFIRMED",
                )
                for i in range(policies)
            ],
        )
        await conn.copy_records_to_table(
            "event",
            columns=[
                "slug",
                "title",
                "summary",
                "date",
                "date_precision",
                "category",
                "stance",
                "cooperation_score",
                "score_rationale",
                "significance",
                "confidence",
            ],
            records=_events(rng, events),
        )
        event_ids = [r["id"] for r in await conn.fetch("select id from event order by id")]
        topic_ids = [r["id"] for r in await conn.fetch("select id from topic order by id")]
        source_ids = [r["id"] for r in await conn.fetch("select id from source order by id")]
        policy_ids = [r["id"] for r in await conn.fetch("select id from policy order by id")]
        await conn.copy_records_to_table(
            "event_actor",
            columns=["event_id", "actor_id", "role"],
            records=_links(rng, event_ids, actor_ids, lambda: rng.choice([1, 2, 2, 3, 3, 4]), ROLES),
        )
        await conn.copy_records_to_table(
            "event_source",
            columns=["event_id", "source_id"],
            records=_links(rng, event_ids, source_ids, lambda: rng.choice([1, 2, 3, 4])),
        )
        await conn.copy_records_to_table(
            "event_topic",
            columns=["event_id", "topic_id"],
            records=_links(rng, event_ids, topic_ids, lambda: rng.choice([1, 2, 3])),
        )
        await conn.copy_records_to_table(
            "event_policy",
            columns=["event_id", "policy_id"],
            records=_links(rng, event_ids, policy_ids, lambda: rng.choice([0, 0, 0, 1, 1])),
        )
        counts = {
            t: await conn.fetchval(f"select count(*) from {t}")
            for t in ("event", "policy", "actor", "source", "topic", "event_actor")
        }
        await conn.execute(
            "insert into release (version, released_on, notes, license, content_hash, row_counts) "
            "values ('0.0.0-synthetic', current_date, 'synthetic benchmark data', 'CC-BY-4.0', "
            "$1, $2::jsonb)",
            f"synthetic-{events}-{seed}",
            json.dumps(counts),
        )
        await conn.execute("analyze")
        return counts
    finally:
        await conn.close()


def _events(rng: random.Random, n: int) -> Iterator[tuple[object, ...]]:
    for i in range(n):
        score = rng.randint(-10, 10)
        yield (
            f"event-{i}",
            f"Event {i}: {_text(rng, 6)}",
            _text(rng, 40),
            START + dt.timedelta(days=rng.randrange(DAYS)),
            "DAY",
            rng.choice(CATEGORIES),
            "COOPERATIVE" if score > 2 else "COMPETITIVE" if score < -2 else rng.choice(["MIXED", "NEUTRAL"]),
            score,
            "synthetic",
            rng.randint(1, 5),
            "CONFIRMED",
        )


def _links(
    rng: random.Random,
    parents: list[int],
    children: list[int],
    how_many: object,
    roles: list[str] | None = None,
) -> Iterator[tuple[object, ...]]:
    assert callable(how_many)
    n = len(children)
    for parent in parents:
        chosen = {children[_skewed(rng, n)] for _ in range(how_many())}
        for child in chosen:
            yield (parent, child, rng.choice(roles)) if roles else (parent, child)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    print(asyncio.run(generate(args.database_url, args.events)))


if __name__ == "__main__":
    main()
