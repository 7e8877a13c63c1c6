"""One act, counted once (issue 12, section 5): an event that carries out another recorded event
names it as `implements`, says so in its own text, and comes no earlier than it; the index then
counts the act once, through the event implemented."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from db.seed import Dataset
from db.seed.models import Event

# The pairs of the 0.2.0 release, each justified by the implementing record's own text (quoted
# in seeds/CHANGELOG.md). A pair may be added; none of these may silently go.
KNOWN_PAIRS = {
    "affiliates-rule-suspended-under-us-china-deal-2025-11": "trump-xi-busan-trade-truce",
    "us-implements-busan-tariff-cuts": "trump-xi-busan-trade-truce",
    "china-exempts-civilian-nexperia-chip-exports-2025-11": "trump-xi-busan-trade-truce",
    "cn-first-rare-earth-general-licences-2025": "trump-xi-busan-trade-truce",
    "japan-chip-equipment-export-controls-take-effect-2023-07": "japan-adopts-chip-equipment-export-controls-2023-05",
    "netherlands-chip-equipment-export-controls-take-effect-2023-09": (
        "netherlands-publishes-chip-equipment-export-order-2023-06"
    ),
    "cn-gallium-germanium-exports-halt-then-licensed": "cn-gallium-germanium-controls-announced",
    "treasury-issues-outbound-investment-final-rule": "us-eo-14105-outbound-investment-signed",
    "doj-forms-ai-litigation-task-force": "trump-eo-14365-preempt-state-ai-laws",
    "cn-miit-ai-industry-action-plan-issued": "cn-new-generation-ai-development-plan-published",
    "cn-ai-safety-governance-framework-released": "cn-global-ai-governance-initiative-launched",
    "bis-eases-licence-review-for-h200-to-china-2026-01": "trump-allows-nvidia-h200-sales-to-china-2025-12",
}

# Words with which a record says it carries out another's act.
_SAYS_IMPLEMENTS = re.compile(
    r"implement|carr(?:y|ies|ied|ying) out|already scored|counted twice", re.IGNORECASE
)

# Events whose text names another event in such words but are their own act, with the reason.
NOT_IMPLEMENTING = {
    "nvidia-q1-fy2026-h20-writedown": "Nvidia's own accounting of the H20 licence requirement: a "
    "company's act, scored lightly, not the requirement carried out",
}


def _text(event: Event) -> str:
    return " ".join(t for t in (event.title, event.summary, event.score_rationale, event.confidence_note) if t)


def _period_end(event: Event) -> dt.date:
    day, precision = event.date
    if precision == "YEAR":
        return dt.date(day.year, 12, 31)
    if precision == "MONTH":
        return dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    return day


def test_the_release_links_its_known_pairs(dataset: Dataset) -> None:
    links = {e.slug: e.implements for e in dataset.events if e.implements}
    assert {slug: links.get(slug) for slug in KNOWN_PAIRS} == KNOWN_PAIRS


def test_an_implementing_event_comes_no_earlier_than_what_it_implements(dataset: Dataset) -> None:
    events = {e.slug: e for e in dataset.events}
    early = {
        e.slug: f"{e.date.value} before {e.implements} {events[e.implements].date.value}"
        for e in dataset.events
        if e.implements and _period_end(e) < events[e.implements].date.value
    }
    assert early == {}


def test_an_implementing_event_says_how_it_relates(dataset: Dataset) -> None:
    silent = [e.slug for e in dataset.events if e.implements and not _SAYS_IMPLEMENTS.search(_text(e))]
    assert silent == []


def test_an_event_whose_text_says_it_implements_another_names_it(dataset: Dataset) -> None:
    """A record naming another recorded event (by slug) in words that say it carries that act
    out must link it, unless it is the act implemented (its text names its implementers) or a
    reviewed exception."""
    slugs = {e.slug for e in dataset.events}
    implementers: dict[str, set[str]] = {}
    for e in dataset.events:
        if e.implements:
            implementers.setdefault(e.implements, set()).add(e.slug)
    unlinked = {}
    for e in dataset.events:
        text = _text(e)
        if e.slug in NOT_IMPLEMENTING or not _SAYS_IMPLEMENTS.search(text):
            continue
        named = {s for s in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", text) if s in slugs and s != e.slug}
        missing = named - {e.implements} - implementers.get(e.slug, set())
        if missing:
            unlinked[e.slug] = sorted(missing)
    assert unlinked == {}


def test_exceptions_are_current(dataset: Dataset) -> None:
    events = {e.slug: e for e in dataset.events}
    assert [s for s in NOT_IMPLEMENTING if s not in events or events[s].implements] == []
