"""Sourcing rules of release 0.2.0 (issue 12, section 4): primary sources where they matter,
honest confidence, no mirrors."""

from __future__ import annotations

from db.seed import Dataset
from db.seed.models import Event, Policy, Source
from tests.seeds.exceptions import KEPT_MIRRORS, NO_PRIMARY_STORED
from tests.seeds.sourcing import is_primary, mirror_reason, publisher_key


def _sources(dataset: Dataset) -> dict[str, Source]:
    return {s.slug: s for s in dataset.sources}


def _needs_primary(dataset: Dataset) -> list[Event | Policy]:
    events = [e for e in dataset.events if e.significance >= 4 or e.category == "MODEL_RELEASE"]
    return [*events, *dataset.policies]


def test_significant_events_policies_and_model_releases_cite_a_primary_source(dataset: Dataset) -> None:
    sources = _sources(dataset)
    missing = [
        r.slug
        for r in _needs_primary(dataset)
        if not any(is_primary(sources[s]) for s in r.sources) and r.slug not in NO_PRIMARY_STORED
    ]
    assert missing == [], f"{len(missing)} records cite no primary source: {missing}"


def test_primary_source_exceptions_are_current(dataset: Dataset) -> None:
    # An exception that is no longer needed (a primary source was added, or the record went)
    # must leave the list, so the list stays the true account of what is missing.
    sources = _sources(dataset)
    lacking = {r.slug for r in _needs_primary(dataset) if not any(is_primary(sources[s]) for s in r.sources)}
    stale = [slug for slug in NO_PRIMARY_STORED if slug not in lacking]
    assert stale == []
    assert all(reason.strip() for reason in NO_PRIMARY_STORED.values())


def test_confirmed_needs_a_primary_source_or_two_independent_publishers(dataset: Dataset) -> None:
    sources = _sources(dataset)
    records: list[Event | Policy] = [*dataset.events, *dataset.policies]
    wrong = [
        r.slug
        for r in records
        if r.confidence == "CONFIRMED"
        and not any(is_primary(sources[s]) for s in r.sources)
        and len({publisher_key(sources[s]) for s in r.sources}) < 2
    ]
    assert wrong == [], f"{len(wrong)} records are confirmed on one secondary publisher: {wrong}"


def test_confirmed_observations_rest_on_a_primary_source(dataset: Dataset) -> None:
    # An observation has one source: confirmed then means that source is the primary one.
    sources = _sources(dataset)
    wrong = sorted(
        {
            f"{o.metric}/{o.entity}/{o.date.value}"
            for o in dataset.observations
            if o.confidence == "CONFIRMED" and not is_primary(sources[o.source])
        }
    )
    assert wrong == [], f"{len(wrong)} observations are confirmed on a secondary source: {wrong}"


def test_no_source_is_a_mirror_or_aggregator(dataset: Dataset) -> None:
    mirrors = {
        s.slug: reason
        for s in dataset.sources
        if (reason := mirror_reason(s)) is not None and s.slug not in KEPT_MIRRORS
    }
    assert mirrors == {}, f"{len(mirrors)} mirror sources: {mirrors}"


def test_kept_mirrors_are_current(dataset: Dataset) -> None:
    by_slug = _sources(dataset)
    stale = [s for s in KEPT_MIRRORS if s not in by_slug or mirror_reason(by_slug[s]) is None]
    assert stale == []
    assert all(reason.strip() for reason in KEPT_MIRRORS.values())
