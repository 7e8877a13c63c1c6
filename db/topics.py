"""SQL over topics."""

from __future__ import annotations

from db.columns import COLUMNS
from db.paging import Ordering
from db.tables import Table, key

TOPICS = Table(
    name="topic",
    alias="t",
    columns=COLUMNS["topic"],
    orderings={
        "NAME_ASC": Ordering("NAME_ASC", (key("t", "name", "text"), key("t", "id", "bigint"))),
        "NAME_DESC": Ordering("NAME_DESC", (key("t", "name", "text", True), key("t", "id", "bigint", True))),
    },
    default_ordering="NAME_ASC",
)
