"""Aggregates: the cooperation–competition timeline, event counts by group, series summaries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry

from schema.context import Info
from schema.events import Event

V = strawberry.enum_value


@strawberry.enum(description="The width of a timeline bucket.")
class TimelineInterval(Enum):
    MONTH = V("MONTH", description="Calendar months.")
    QUARTER = V("QUARTER", description="Calendar quarters (Q1 starts 1 January).")
    YEAR = V("YEAR", description="Calendar years.")


@strawberry.enum(description="What to count events by.")
class EventGroupBy(Enum):
    CATEGORY = V("CATEGORY", description="Event category; key is the EventCategory value.")
    STANCE = V("STANCE", description="Stance; key is the Stance value.")
    YEAR = V("YEAR", description="Calendar year of the event's date.")
    TOPIC = V("TOPIC", description="Topic; key is the topic slug.")
    ACTOR = V("ACTOR", description="Participating actor; key is the actor slug.")
    COUNTRY = V("COUNTRY", description="Country of a participating actor (ISO alpha-2).")


@strawberry.type(
    description="Events of one period: how many leaned each way, and the cooperation index "
    "(the mean cooperationScore) that says whether the relationship moved toward cooperation "
    "or competition. Every number counts each act once: only events with countedInIndex "
    "true, not the events that implement them."
)
class TimelineBucket:
    top_event_pk: strawberry.Private[int]
    period_start: dt.date = strawberry.field(description="First day of the period.")
    events: int = strawberry.field(
        description="Events counted in the index dated in the period (an event that implements "
        "another is left out: its act is counted once, through the event it implements)."
    )
    cooperative: int = strawberry.field(description="Of which COOPERATIVE.")
    competitive: int = strawberry.field(description="Of which COMPETITIVE.")
    mixed: int = strawberry.field(description="Of which MIXED.")
    neutral: int = strawberry.field(description="Of which NEUTRAL.")
    score_sum: int = strawberry.field(description="Sum of cooperationScore of those events.")
    score_mean: float = strawberry.field(
        description="Mean cooperationScore: the cooperation index of the period (−10 … +10)."
    )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TimelineBucket:
        return cls(
            top_event_pk=row["top_event_id"],
            period_start=row["period_start"],
            events=row["events"],
            cooperative=row["cooperative"],
            competitive=row["competitive"],
            mixed=row["mixed"],
            neutral=row["neutral"],
            score_sum=row["score_sum"],
            score_mean=round(row["score_mean"], 3),
        )

    @strawberry.field(
        description="The most significant event of the period that the index counts (newest on "
        "ties)."
    )
    async def top_event(self, info: Info) -> Event:
        row = await info.context.loaders.by_id["event"].load(self.top_event_pk)
        assert row is not None  # taken from the same table
        return Event.from_row(row)


@strawberry.type(
    description="How many events fall in one group, counting each act once: only events with "
    "countedInIndex true."
)
class EventCount:
    key: str = strawberry.field(description="The group: an enum value, slug, year or country code.")
    label: str = strawberry.field(description="A readable name for the group.")
    events: int = strawberry.field(
        description="Events in the group counted in the index (each counted once, however many "
        "of its actors fall in the group; an event that implements another is left out)."
    )
    score_mean: float = strawberry.field(description="Mean cooperationScore of those events.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EventCount:
        return cls(
            key=row["key"], label=row["label"], events=row["events"], score_mean=round(row["score_mean"], 3)
        )


def decimal_places(value: float) -> int:
    """Digits after the point in the shortest text that reads back as `value` (2.5 -> 1)."""
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@strawberry.type(description="A metric's series for one entity over a range, summarised.")
class SeriesSummary:
    observations: int = strawberry.field(description="Observations in the range.")
    first_date: dt.date = strawberry.field(description="Date of the earliest observation.")
    first_value: float = strawberry.field(description="Its value.")
    latest_date: dt.date = strawberry.field(description="Date of the latest observation.")
    latest_value: float = strawberry.field(description="Its value.")
    change: float = strawberry.field(
        description="latestValue − firstValue, to as many decimals as the two values have."
    )
    percent_change: float | None = strawberry.field(
        description="change as a percentage of firstValue; null when firstValue is 0."
    )
    min: float = strawberry.field(description="Lowest value in the range.")
    max: float = strawberry.field(description="Highest value in the range.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SeriesSummary:
        first, latest = row["first_value"], row["latest_value"]
        # A difference of binary floats carries noise (4.54 - 2.5 = 2.040000000000001): the
        # change is given to the precision of the values themselves.
        change = round(latest - first, max(decimal_places(first), decimal_places(latest)))
        return cls(
            observations=row["observations"],
            first_date=row["first_date"],
            first_value=first,
            latest_date=row["latest_date"],
            latest_value=row["latest_value"],
            change=change,
            percent_change=round(change / first * 100, 4) if first else None,
            min=row["min_value"],
            max=row["max_value"],
        )
