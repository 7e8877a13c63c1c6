"""The timeline (cooperation index), grouped counts and series summaries, on the fixture data."""

from __future__ import annotations

import asyncpg
import pytest

from api.settings import Settings
from tests.api.test_bad_input import assert_clean_error
from tests.api.test_queries import data
from tests.conftest import Databases, Service, running_service


async def test_yearly_timeline(service: Service) -> None:
    result = data(
        await service.graphql("""
        { timeline(interval: YEAR) { periodStart events cooperative competitive mixed neutral
                                      scoreSum scoreMean topEvent { slug } } }
    """)
    )["timeline"]
    assert result == [
        {
            "periodStart": "2022-01-01",
            "events": 2,
            "cooperative": 0,
            "competitive": 2,
            "mixed": 0,
            "neutral": 0,
            "scoreSum": -14,
            "scoreMean": -7.0,
            "topEvent": {"slug": "bis-controls-2022"},
        },
        {
            # cn-genai-measures-take-effect implements cn-genai-measures-published: one act,
            # counted once (4 events recorded in 2023, 3 counted).
            "periodStart": "2023-01-01",
            "events": 3,
            "cooperative": 2,
            "competitive": 0,
            "mixed": 0,
            "neutral": 1,
            "scoreSum": 6,
            "scoreMean": 2.0,
            "topEvent": {"slug": "bletchley-declaration"},
        },
    ]


async def test_quarterly_timeline_with_filter(service: Service) -> None:
    result = data(
        await service.graphql("""
        { timeline(interval: QUARTER, filter: {involvesUsAndChina: true}) { periodStart events scoreMean } }
    """)
    )["timeline"]
    assert result == [
        {"periodStart": "2022-10-01", "events": 2, "scoreMean": -7.0},
        {"periodStart": "2023-10-01", "events": 1, "scoreMean": 4.0},
    ]


async def test_monthly_buckets_start_on_the_first(service: Service) -> None:
    result = data(await service.graphql("{ timeline(interval: MONTH) { periodStart events } }"))["timeline"]
    assert [b["periodStart"] for b in result] == [
        "2022-10-01",
        "2023-01-01",
        "2023-07-01",
        "2023-11-01",
    ]
    # August 2023 held only the implementing event (the measures taking effect): no bucket.
    assert [b["events"] for b in result] == [2, 1, 1, 1]


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        # Counted events only: cn-genai-measures-take-effect (REGULATION, CN, governance, 2023,
        # NEUTRAL) implements cn-genai-measures-published and is left out.
        ("CATEGORY", {"EXPORT_CONTROL": 2, "REGULATION": 1, "SUMMIT": 1, "STATEMENT": 1}),
        ("COUNTRY", {"CN": 4, "US": 3, "GB": 2}),
        ("TOPIC", {"governance": 2, "chips": 2, "ai-safety": 2}),
        ("YEAR", {"2022": 2, "2023": 3}),
        ("STANCE", {"COMPETITIVE": 2, "COOPERATIVE": 2, "NEUTRAL": 1}),
    ],
)
async def test_event_counts(service: Service, group_by: str, expected: dict[str, int]) -> None:
    result = data(
        await service.graphql(f"{{ eventCounts(groupBy: {group_by}) {{ key label events scoreMean }} }}")
    )
    counts = result["eventCounts"]
    assert {c["key"]: c["events"] for c in counts} == expected
    assert [c["events"] for c in counts] == sorted((c["events"] for c in counts), reverse=True)


async def test_actor_counts_honour_filters(service: Service) -> None:
    result = data(
        await service.graphql(
            "{ eventCounts(groupBy: ACTOR, filter: {category: [EXPORT_CONTROL]}) { key label events scoreMean } }"
        )
    )
    assert result["eventCounts"] == [
        {"key": "china", "label": "People's Republic of China", "events": 2, "scoreMean": -7.0},
        {"key": "us-bis", "label": "Bureau of Industry and Security", "events": 2, "scoreMean": -7.0},
    ]


async def test_series_summary(service: Service) -> None:
    result = data(
        await service.graphql("""
        { metric(slug: "private-ai-investment") {
            us: summary(entity: "united-states") { observations firstDate firstValue latestDate
                latestValue change percentChange min max }
            late: summary(entity: "united-states", date: {from: "2023-01-01"}) { observations change }
            none: summary(entity: "united-kingdom") { observations } } }
    """)
    )["metric"]
    us = result["us"]
    assert (us["firstDate"], us["firstValue"], us["latestDate"], us["latestValue"]) == (
        "2022-01-01",
        47.4,
        "2023-01-01",
        67.2,
    )
    assert us["change"] == pytest.approx(19.8)
    assert us["percentChange"] == pytest.approx(41.7722, abs=1e-3)
    assert (us["min"], us["max"], us["observations"]) == (47.4, 67.2, 2)
    assert result["late"] == {"observations": 1, "change": 0.0}
    assert result["none"] is None


async def test_bad_aggregate_input(service: Service) -> None:
    assert_clean_error(await service.graphql("{ timeline(interval: WEEK) { events } }"), "WEEK")
    assert_clean_error(
        await service.graphql('{ eventCounts(groupBy: TOPIC, filter: {topic: ["none"]}) { key } }'),
        "unknown topic slug(s)",
    )


async def test_rollup_timeline_equals_the_scan(service: Service) -> None:
    """Without a filter the timeline comes from the monthly rollup; a filter that matches every
    event takes the scan. Both must agree for every interval."""
    for interval in ("MONTH", "QUARTER", "YEAR"):
        fields = (
            "periodStart events cooperative competitive mixed neutral scoreSum scoreMean topEvent { slug }"
        )
        rollup = data(await service.graphql(f"{{ timeline(interval: {interval}) {{ {fields} }} }}"))
        scan = data(
            await service.graphql(
                f"{{ timeline(interval: {interval}, filter: {{significance: {{min: 1}}}}) {{ {fields} }} }}"
            )
        )
        assert rollup == scan, interval


async def test_rollup_follows_changes_to_events(
    settings: Settings, databases: Databases, fresh_url: str
) -> None:
    conn = await asyncpg.connect(fresh_url)
    try:
        await conn.execute(
            "update event set cooperation_score = 9, stance = 'COOPERATIVE' where slug = 'bis-controls-2022'"
        )
        await conn.execute("delete from event where slug = 'bis-controls-2022-followup'")
    finally:
        await conn.close()
    async with running_service(settings, fresh_url) as service:
        result = data(
            await service.graphql("{ timeline(interval: YEAR) { periodStart events scoreSum cooperative } }")
        )
    assert result["timeline"][0] == {
        "periodStart": "2022-01-01",
        "events": 1,
        "scoreSum": 9,
        "cooperative": 1,
    }


async def test_the_index_counts_an_implemented_act_once(
    settings: Settings, databases: Databases, fresh_url: str
) -> None:
    """Linking an event to the one it implements takes it out of the index (rollup and scan
    alike, timeline and eventCounts); unlinking puts it back. The event itself stays listed."""
    fields = "periodStart events cooperative competitive neutral scoreSum scoreMean topEvent { slug }"
    queries = {
        "rollup": f"{{ timeline(interval: YEAR) {{ {fields} }} }}",
        "scan": f"{{ timeline(interval: YEAR, filter: {{significance: {{min: 1}}}}) {{ {fields} }} }}",
        "counts": "{ eventCounts(groupBy: YEAR) { key events scoreMean } }",
        "listed": "{ events(filter: {date: {from: \"2022-01-01\", to: \"2022-12-31\"}}) { totalCount } }",
    }

    async def answers() -> dict[str, object]:
        async with running_service(settings, fresh_url) as service:
            return {name: data(await service.graphql(q)) for name, q in queries.items()}

    before = await answers()
    conn = await asyncpg.connect(fresh_url)
    try:
        await conn.execute(
            "update event set implements_event_id = (select id from event where slug = 'bis-controls-2022') "
            "where slug = 'bis-controls-2022-followup'"
        )
        rollup_2022 = await conn.fetchrow(
            "select events, competitive, score_sum from event_month_rollup where month = '2022-10-01'"
        )
    finally:
        await conn.close()
    after = await answers()

    assert before["rollup"]["timeline"][0] == {  # type: ignore[index]
        "periodStart": "2022-01-01",
        "events": 2,
        "cooperative": 0,
        "competitive": 2,
        "neutral": 0,
        "scoreSum": -14,
        "scoreMean": -7.0,
        "topEvent": {"slug": "bis-controls-2022"},
    }
    # bis-controls-2022-followup (-6, significance 2) is now counted through bis-controls-2022.
    assert after["rollup"]["timeline"][0] == {  # type: ignore[index]
        "periodStart": "2022-01-01",
        "events": 1,
        "cooperative": 0,
        "competitive": 1,
        "neutral": 0,
        "scoreSum": -8,
        "scoreMean": -8.0,
        "topEvent": {"slug": "bis-controls-2022"},
    }
    assert rollup_2022 is not None
    assert dict(rollup_2022.items()) == {"events": 1, "competitive": 1, "score_sum": -8}
    assert after["scan"] == after["rollup"]
    assert {c["key"]: (c["events"], c["scoreMean"]) for c in after["counts"]["eventCounts"]} == {  # type: ignore[index]
        "2022": (1, -8.0),
        "2023": (3, 2.0),
    }
    assert before["listed"] == after["listed"] == {"events": {"totalCount": 2}}


async def test_implements_one_level_is_enforced_by_the_database(fresh_url: str) -> None:
    """The database refuses what the loader refuses: an event implementing itself, and a chain
    in either direction (naming an implementing event; implementing while implemented)."""
    conn = await asyncpg.connect(fresh_url)
    try:
        ids = {r["slug"]: r["id"] for r in await conn.fetch("select slug, id from event")}
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "update event set implements_event_id = id where slug = 'bis-controls-2022'"
            )
        # cn-genai-measures-take-effect implements cn-genai-measures-published (fixture).
        for slug, target in (
            ("uk-summit-announced", "cn-genai-measures-take-effect"),
            ("cn-genai-measures-published", "uk-summit-announced"),
        ):
            with pytest.raises(asyncpg.ForeignKeyViolationError):
                async with conn.transaction():
                    await conn.execute(
                        "update event set implements_event_id = $1 where slug = $2", ids[target], slug
                    )
        # Deleting an implemented event frees the implementing one (it is counted again).
        async with conn.transaction():
            await conn.execute("delete from event where slug = 'cn-genai-measures-published'")
        counted = await conn.fetchval(
            "select counted_in_index from event where slug = 'cn-genai-measures-take-effect'"
        )
        assert counted is True
    finally:
        await conn.close()
