"""Series summaries: a change carries no float noise on any series of the real release."""

from __future__ import annotations

import asyncpg
import pytest

from db.aggregates import series_summary
from schema.aggregates import SeriesSummary, decimal_places


@pytest.mark.parametrize(
    ("value", "places"), [(2.5, 1), (4.54, 2), (3.0, 0), (1e-7, 7), (1e22, 0), (-0.125, 3)]
)
def test_decimal_places(value: float, places: int) -> None:
    assert decimal_places(value) == places


def test_the_change_is_given_to_the_values_precision() -> None:
    row = {
        "observations": 2,
        "first_date": None,
        "latest_date": None,
        "first_value": 6.01,
        "latest_value": 8.05,
        "min_value": 6.01,
        "max_value": 8.05,
    }
    assert 8.05 - 6.01 == 2.040000000000001  # the noise the summary used to show
    summary = SeriesSummary.from_row(row)
    assert summary.change == 2.04
    assert summary.percent_change == 33.9434


async def test_no_series_of_the_release_shows_float_noise(release_url: str) -> None:
    conn = await asyncpg.connect(release_url)
    try:
        series = await conn.fetch(
            "select distinct o.metric_id, a.slug from observation o join actor a on a.id = o.entity_id"
        )
        assert len(series) > 10
        for metric_id, slug in series:
            row = await series_summary(conn, metric_id, slug, None, None)
            assert row is not None
            summary = SeriesSummary.from_row(row)
            places = max(decimal_places(row["first_value"]), decimal_places(row["latest_value"]))
            assert decimal_places(summary.change) <= places, (slug, row, summary.change)
            assert abs(summary.change - (row["latest_value"] - row["first_value"])) < 10.0**-places
    finally:
        await conn.close()
