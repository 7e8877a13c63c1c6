"""Date and DateTime: the format is stated, `@specifiedBy` given, and only a full-date is a Date."""

from __future__ import annotations

import pytest

from schema.scalars import RFC3339_FULL_DATE
from tests.conftest import Service

RANGE = "query($from: Date) { events(first: 1, filter: {date: {from: $from}}) { totalCount } }"


async def test_scalars_carry_specified_by_and_their_format(service: Service) -> None:
    body = await service.graphql(
        '{ date: __type(name: "Date") { description specifiedByURL } '
        'dateTime: __type(name: "DateTime") { description specifiedByURL } }'
    )
    data = body["data"]
    assert isinstance(data, dict)
    assert data["date"]["specifiedByURL"] == RFC3339_FULL_DATE
    assert "YYYY-MM-DD" in data["date"]["description"]
    assert data["dateTime"]["specifiedByURL"] and "RFC 3339" in data["dateTime"]["description"]


@pytest.mark.parametrize("value", ["20240101", "2024-W01-1", "2024-02-30", "2024-1-1", " 2024-01-01"])
async def test_only_a_full_date_is_a_date(service: Service, value: str) -> None:
    body = await service.graphql(RANGE, {"from": value})
    errors = body["errors"]
    assert isinstance(errors, list)
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_full_date_is_read(service: Service) -> None:
    body = await service.graphql(RANGE, {"from": "2020-01-01"})
    assert "errors" not in body
    literal = await service.graphql('{ events(first: 1, filter: {date: {from: "20200101"}}) { totalCount } }')
    # A literal that is no Date fails validation (ValuesOfCorrectType), before anything runs.
    assert literal["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"  # type: ignore[index]
