"""The score bands of the rubric (seeds/README.md, "The cooperation–competition score"), as a
function of an event's category and who takes part: one definition for the tests and the guide."""

from __future__ import annotations

from dataclasses import dataclass

from db.seed.models import Actor, Event

SIDES = frozenset({"US", "CN"})
# Actors that speak for a state: a pact, summit or talks is between governments.
GOVERNMENTAL = frozenset({"STATE", "GOVERNMENT_BODY", "LEGISLATURE", "REGULATOR", "MILITARY"})
RELEASES = frozenset({"MODEL_RELEASE", "PRODUCT_RELEASE"})
COERCIVE = frozenset({"EXPORT_CONTROL", "ENTITY_LISTING", "SANCTION", "INVESTMENT_RESTRICTION", "TARIFF"})
GATHERINGS = frozenset({"SUMMIT", "AGREEMENT", "DIALOGUE"})
JOINT_ACTS = frozenset({"SUMMIT", "AGREEMENT", "DIALOGUE", "RESOLUTION"})


@dataclass(frozen=True)
class Band:
    """The scores (inclusive) and stances the rubric allows for an event, and which rule says so."""

    rule: str
    low: int
    high: int
    stances: frozenset[str] = frozenset({"COOPERATIVE", "COMPETITIVE", "MIXED", "NEUTRAL"})

    def admits(self, event: Event) -> bool:
        return self.low <= event.cooperation_score <= self.high and event.stance in self.stances


COMPETITIVE = frozenset({"COMPETITIVE"})


def _countries(event: Event, actors: dict[str, Actor], roles: set[str] | None = None) -> set[str]:
    return {
        country
        for p in event.actors
        if (roles is None or p.role in roles) and (country := actors[p.actor].country) is not None
    }


def _governments(event: Event, actors: dict[str, Actor]) -> set[str]:
    return {
        country
        for p in event.actors
        if actors[p.actor].kind in GOVERNMENTAL and (country := actors[p.actor].country) in SIDES
    }


def band(event: Event, actors: dict[str, Actor]) -> Band | None:
    """The band the rubric fixes for this event, or None where it fixes none (a third party's act)."""
    acting = _countries(event, actors, {"INITIATOR"}) & SIDES
    acted_on = _countries(event, actors, {"TARGET", "COUNTERPART"})
    everyone = _countries(event, actors)
    category = event.category
    one_side = acting.pop() if len(acting) == 1 else None
    other = None if one_side is None else next(iter(SIDES - {one_side}))

    if category in RELEASES and one_side is not None:
        # A rival's release; a joint US-China release (both initiate) is the exception.
        return Band("release by one side's developer: competitive -4..-2", -4, -2, COMPETITIVE)
    if category in COERCIVE and one_side is not None and other in acted_on and event.cooperation_score < 0:
        return Band("coercive measure aimed at the other side: -9..-5", -9, -5)
    if category == "LEGISLATION" and one_side is not None and event.cooperation_score < 0:
        return Band("legislation: introduced -4..-2, enacted against the other side -9..-5", -9, -2)
    if category == "STATEMENT":
        return Band("statement with no measure: score the act, not its words (-2..+2)", -2, 2)
    if category == "NATIONAL_STRATEGY":
        return Band("national strategy: to lead -4..-2, domestic governance 0..-1", -4, 0)

    governments = _governments(event, actors)
    third_parties = any(actors[p.actor].country not in SIDES for p in event.actors if p.role != "OBSERVER")
    if (
        category in GATHERINGS
        and len(governments) == 1
        and not everyone & (SIDES - governments)
        and third_parties
    ):
        return Band(
            "network, pact or summit excluding the other side: competitive -4..-2", -4, -2, COMPETITIVE
        )
    if category in JOINT_ACTS and governments == SIDES and event.stance == "COOPERATIVE":
        if third_parties:
            return Band("both sides in one multilateral act: +2..+5 (co-sponsored text +5)", 2, 5)
        return Band("bilateral: talks or a co-sponsored text +5, an agreement with substance +7..+9", 5, 9)
    return None
