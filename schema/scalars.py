"""The Date and DateTime scalars: strawberry's, with the format stated and `@specifiedBy`.

A Date is an RFC 3339 full-date, `YYYY-MM-DD`, and nothing else is read as one (Python's
`date.fromisoformat` also takes `20240101` and `2024-W01-1`); a DateTime is an RFC 3339
date-time with its offset. Code generators map both to strings (see the README).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition, wrap_parser
from strawberry.types.scalar import ScalarDefinition

RFC3339_FULL_DATE = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _full_date(value: str) -> dt.date:
    if not _FULL_DATE.fullmatch(value):
        raise ValueError("expected an RFC 3339 full-date, YYYY-MM-DD")
    return dt.date.fromisoformat(value)


DATE = dataclasses.replace(
    DateDefinition,
    description="A calendar date as an RFC 3339 full-date (ISO 8601 calendar date), `YYYY-MM-DD`, "
    'for example `"2023-11-01"`. Sent and read as a string.',
    specified_by_url=RFC3339_FULL_DATE,
    parse_value=wrap_parser(_full_date, "Date"),
)
DATETIME = dataclasses.replace(
    DateTimeDefinition,
    description="An instant as an RFC 3339 date-time with its offset, "
    '`YYYY-MM-DDThh:mm:ss[.ffffff]±hh:mm`, for example `"2026-11-25T09:30:00.123456+00:00"`. '
    "Sent and read as a string.",
    specified_by_url=RFC3339_FULL_DATE,
)
SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {dt.date: DATE, dt.datetime: DATETIME}
