"""The seed loader's rows: each column from the seed model's field of the same name, or from
what the loader computes for it; anything else is an error naming the table and column."""

from __future__ import annotations

import pytest

from db.seed.load import _row
from db.seed.models import Topic


def _topic() -> Topic:
    return Topic.model_validate({"slug": "chips", "name": "Chips", "description": "Semiconductors."})


def test_a_column_takes_the_field_of_its_name_or_what_is_computed() -> None:
    row = _row("topic", _topic(), ["slug", "name", "description"], {"name": "Computed"})
    assert row == {"slug": "chips", "name": "Computed", "description": "Semiconductors."}


def test_a_column_with_no_field_and_nothing_computed_is_an_error() -> None:
    with pytest.raises(RuntimeError, match=r"topic\.colour: the seed model has no such field"):
        _row("topic", _topic(), ["slug", "colour"], {})


def test_a_computed_value_no_column_takes_is_an_error() -> None:
    with pytest.raises(RuntimeError, match=r"computes \['colour'\]"):
        _row("topic", _topic(), ["slug"], {"colour": "red"})
