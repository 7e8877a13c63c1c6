"""A policy's status is a claim at a date (issue 12, section 2): when it was last confirmed, when
it is known to lapse, and, once that day passes unconfirmed, a flag in the API instead of the
old status passed off as today's."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from api.settings import Settings
from db.seed import Dataset
from db.seed.models import Policy, Source
from tests.conftest import running_service

# The suspensions and expiries issue 12 found stated in the sources (policy slug -> stated end).
STATED_ENDS = {
    "cn-us-dual-use-export-ban-2024": dt.date(2026, 11, 27),
    "bis-affiliates-rule-2025-09": dt.date(2026, 11, 9),
    "cn-rare-earth-export-controls-2025-10": dt.date(2026, 11, 10),
}


def _lapsed(policy: Policy, today: dt.date) -> bool:
    """The stated end has passed and no source from that day on confirms the status."""
    until, as_of = policy.status_until, policy.status_as_of
    return until is not None and until < today and (as_of is None or as_of < until)


def _confirms_on(source: Source, day: dt.date) -> bool:
    """The source is of that day: published then (a month or year covers its days), or, when
    it carries no date, read then (a live official page)."""
    published = source.published_on
    if published is None:
        return source.accessed_on == day
    start = published.value
    if published.precision == "DAY":
        return start == day
    if published.precision == "MONTH":
        return (start.year, start.month) == (day.year, day.month)
    return start.year == day.year


def test_every_policy_says_when_its_status_was_last_confirmed(dataset: Dataset) -> None:
    today = dt.date.today()
    missing = [p.slug for p in dataset.policies if p.status_as_of is None]
    assert missing == [], f"{len(missing)} policies without status_as_of: {missing}"
    future = [p.slug for p in dataset.policies if p.status_as_of and p.status_as_of > today]
    assert future == []
    early = [
        p.slug
        for p in dataset.policies
        if p.status_as_of and p.announced_on and p.status_as_of < p.announced_on
    ]
    assert early == [], f"status confirmed before the policy was announced: {early}"


def test_status_as_of_is_the_date_of_a_cited_source(dataset: Dataset) -> None:
    sources = {s.slug: s for s in dataset.sources}
    unsupported = [
        f"{p.slug} ({p.status_as_of})"
        for p in dataset.policies
        if p.status_as_of is not None and not any(_confirms_on(sources[s], p.status_as_of) for s in p.sources)
    ]
    assert unsupported == [], f"no cited source is of the status_as_of day: {unsupported}"


def test_a_lapsed_status_says_what_is_not_known(dataset: Dataset) -> None:
    today = dt.date.today()
    silent = [p.slug for p in dataset.policies if _lapsed(p, today) and not p.status_note]
    assert silent == [], f"stated end passed with no later source, and no status_note: {silent}"


def test_the_stated_ends_issue_12_found_are_recorded(dataset: Dataset) -> None:
    policies = {p.slug: p for p in dataset.policies}
    unrecorded = [
        slug
        for slug, end in STATED_ENDS.items()
        if policies[slug].status_until is None and (policies[slug].status_as_of or end) <= end
    ]
    assert unrecorded == [], "a suspension's end date is stated in the sources: set status_until"
    # GAO B-337935 (May 2026): the AI Diffusion Rule remains legally in effect, though unenforced.
    assert policies["bis-ai-diffusion-framework-2025"].status != "REPEALED"


async def test_the_api_flags_exactly_the_lapsed_statuses(
    dataset: Dataset, settings: Settings, release_url: str
) -> None:
    query = """query ($after: String) { policies(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor } nodes { slug statusUnconfirmed statusNote } } }"""
    nodes: list[dict[str, Any]] = []
    after = None
    async with running_service(settings, release_url) as service:
        while True:
            body = await service.graphql(query, {"after": after})
            assert "errors" not in body, body
            page = cast(dict[str, Any], body["data"])["policies"]
            nodes += page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    assert len(nodes) == len(dataset.policies)
    flagged = {p["slug"] for p in nodes if p["statusUnconfirmed"]}
    today = dt.date.today()
    assert flagged == {p.slug for p in dataset.policies if _lapsed(p, today)}
    assert all(p["statusNote"] for p in nodes if p["statusUnconfirmed"])
