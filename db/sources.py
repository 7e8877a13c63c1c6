"""SQL over sources: the documents every record cites."""

from __future__ import annotations

from dataclasses import dataclass

from db.columns import COLUMNS
from db.paging import Ordering, SortKey, Sql
from db.tables import Table, key

_PUBLISHED = "coalesce(s.published_on, date '0001-01-01')"

SOURCES = Table(
    name="source",
    alias="s",
    columns=COLUMNS["source"],
    orderings={
        "TITLE_ASC": Ordering("TITLE_ASC", (key("s", "title", "text"), key("s", "id", "bigint"))),
        "PUBLISHED_DESC": Ordering(
            "PUBLISHED_DESC", (SortKey(_PUBLISHED, "date", True), key("s", "id", "bigint", True))
        ),
    },
    default_ordering="TITLE_ASC",
)


@dataclass(frozen=True)
class SourceFilter:
    kinds: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    publisher: str | None = None
    search: str | None = None


def sources_sql(f: SourceFilter | None = None, joins: str = "") -> Sql:
    sql = SOURCES.sql(joins)
    if f is None:
        return sql
    if f.kinds:
        sql.filter(f"s.kind = any({sql.param(list(f.kinds), 'text[]')})")
    if f.languages:
        sql.filter(f"s.language = any({sql.param(list(f.languages), 'text[]')})")
    if f.publisher:
        sql.filter(f"s.publisher = {sql.param(f.publisher)}")
    if f.search:
        sql.filter(f"s.search @@ websearch_to_tsquery('english', {sql.param(f.search)})")
    return sql
