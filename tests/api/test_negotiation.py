"""The one q-value reader: values lowercased, in order, qualities parsed (1 by default, 0 for
nonsense), bounded in count."""

from __future__ import annotations

from api.negotiation import weighted


def test_values_come_with_their_quality_in_order() -> None:
    assert weighted("Text/CSV;q=0.5, application/json, */*;Q=0.1;charset=x", 50) == [
        ("text/csv", 0.5),
        ("application/json", 1.0),
        ("*/*", 0.1),
    ]


def test_a_quality_that_is_no_number_is_zero_and_the_list_is_bounded() -> None:
    assert weighted("br;q=high", 50) == [("br", 0.0)]
    assert len(weighted(",".join(["gzip"] * 1000), 32)) == 32
