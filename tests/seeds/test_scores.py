"""Scores follow the rubric's bands (issue 12, section 5): the same act gets the same score."""

from __future__ import annotations

from db.seed import Dataset
from tests.seeds.exceptions import BAND_EXCEPTIONS
from tests.seeds.rubric import band


def test_scores_fall_in_the_rubric_band_of_their_category(dataset: Dataset) -> None:
    actors = {a.slug: a for a in dataset.actors}
    outside = {}
    for event in dataset.events:
        rule = band(event, actors)
        if rule is not None and not rule.admits(event) and event.slug not in BAND_EXCEPTIONS:
            outside[event.slug] = f"{event.stance} {event.cooperation_score}: {rule.rule}"
    assert outside == {}, f"{len(outside)} events outside their band: {outside}"


def test_band_exceptions_are_current(dataset: Dataset) -> None:
    actors = {a.slug: a for a in dataset.actors}
    events = {e.slug: e for e in dataset.events}
    stale = [
        slug
        for slug in BAND_EXCEPTIONS
        if slug not in events or (rule := band(events[slug], actors)) is None or rule.admits(events[slug])
    ]
    assert stale == []


def test_stance_agrees_with_the_sign_of_the_score(dataset: Dataset) -> None:
    # Positive: cooperative; negative: competitive; either may be mixed (its rationale says what
    # pulls each way); zero: neutral.
    allowed = {1: {"COOPERATIVE", "MIXED"}, -1: {"COMPETITIVE", "MIXED"}, 0: {"NEUTRAL"}}
    wrong = {
        e.slug: f"{e.stance} {e.cooperation_score}"
        for e in dataset.events
        if e.stance not in allowed[(e.cooperation_score > 0) - (e.cooperation_score < 0)]
    }
    assert wrong == {}
