"""What every entity table looks like to queries: its alias, columns and orderings."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import asyncpg

from db.paging import Ordering, Row, SortKey, Sql


@dataclass(frozen=True)
class Reference:
    """A column holding another record's id, exported (files, the package) as that record's slug
    under `name`."""

    name: str
    table: str


@dataclass(frozen=True)
class Table:
    name: str
    alias: str
    columns: tuple[str, ...]  # db/columns.py's (generated), then any computed `(…) as name`
    orderings: dict[str, Ordering]
    default_ordering: str
    references: dict[str, Reference] = field(default_factory=dict)  # column -> what it points to
    natural_key: tuple[str, ...] = ("slug",)  # exported names that identify a record

    @property
    def select(self) -> str:
        return self.select_of(None)

    def select_of(self, names: Collection[str] | None) -> str:
        """The select list of these columns (all when None), in table order. A column with a
        space is a full expression (`(select …) as name`), used as written."""
        return _select_list(self.alias, self.columns, None if names is None else frozenset(names))

    def names_of(self, sql: Sql, names: Collection[str] | None) -> tuple[str, ...]:
        """The result column names of `sql` narrowed to `names`: the table's columns it selects,
        in table order, then the plain extras a builder added after them (`ea.role` -> role)."""
        head = self.select_of(names)
        assert sql.select.startswith(head)
        wanted = None if names is None else frozenset(names)
        own = [n for n in (c.rsplit(" ", 1)[-1] for c in self.columns) if wanted is None or n in wanted]
        extras = [item.rsplit(".", 1)[-1] for item in sql.select[len(head) :].split(", ") if item]
        return (*own, *extras)

    def narrow(self, sql: Sql, names: Collection[str] | None) -> Sql:
        """`sql` (built on this table's full select) selecting only these of the table's columns;
        anything a builder added after them (`ea.role`) stays."""
        if names is not None:
            assert sql.select.startswith(self.select)
            sql.select = self.select_of(names) + sql.select[len(self.select) :]
        return sql

    def sql(self, joins: str = "") -> Sql:
        """A query over this table (plus joins), selecting its columns."""
        return Sql(select=self.select, from_=f"{self.name} {self.alias} {joins}".strip())

    def ordering(self, name: str | None, tiebreak: SortKey | None = None) -> Ordering:
        base = self.orderings[name or self.default_ordering]
        if tiebreak is None:
            return base
        return Ordering(name=base.name, keys=(*base.keys, tiebreak))


@lru_cache(maxsize=512)
def _select_list(alias: str, columns: tuple[str, ...], names: frozenset[str] | None) -> str:
    return ", ".join(
        c if " " in c else f"{alias}.{c}" for c in columns if names is None or c.rsplit(" ", 1)[-1] in names
    )


def key(alias: str, column: str, sql_type: str, descending: bool = False) -> SortKey:
    return SortKey(expression=f"{alias}.{column}", sql_type=sql_type, descending=descending)


async def rows_by_keys(
    conn: asyncpg.Pool | asyncpg.Connection,
    table: Table,
    column: str,
    keys: Sequence[Any],
    cast: str,
) -> list[Row | None]:
    """Rows whose `column` is in `keys`, in key order, None where none matches (a DataLoader's
    batch function)."""
    rows = await conn.fetch(
        f"select {table.select} from {table.name} {table.alias} "
        f"where {table.alias}.{column} = any($1::{cast}[])",
        list(keys),
    )
    found: dict[Any, Row] = {r[column]: r for r in rows}
    return [found.get(k) for k in keys]
