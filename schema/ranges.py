"""Range inputs shared by filters, and their checks (an empty range is an error, not [])."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.errors import BadRequest


@strawberry.input(description="An inclusive range of integers; either end may be left open.")
class IntRange:
    min: int | None = strawberry.field(default=None, description="Lowest value included.")
    max: int | None = strawberry.field(default=None, description="Highest value included.")


@strawberry.input(description="An inclusive range of dates; either end may be left open.")
class DateRange:
    from_: dt.date | None = strawberry.field(default=None, name="from", description="Earliest date included.")
    to: dt.date | None = strawberry.field(default=None, description="Latest date included.")


def date_range(r: DateRange | None, name: str) -> tuple[dt.date | None, dt.date | None]:
    if r is None:
        return None, None
    if r.from_ is not None and r.to is not None and r.from_ > r.to:
        raise BadRequest(f"{name} range is empty: from {r.from_} is after to {r.to}")
    return r.from_, r.to


def int_range(r: IntRange | None, name: str, low: int, high: int) -> tuple[int | None, int | None]:
    if r is None:
        return None, None
    for bound in (r.min, r.max):
        if bound is not None and not low <= bound <= high:
            raise BadRequest(f"{name} bounds must be between {low} and {high}, got {bound}")
    if r.min is not None and r.max is not None and r.min > r.max:
        raise BadRequest(f"{name} range is empty: min {r.min} is greater than max {r.max}")
    return r.min, r.max
