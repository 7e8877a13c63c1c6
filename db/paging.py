"""Keyset pagination: an ordering, a window on it, and the SQL that fetches exactly that window.

No OFFSET anywhere: a page deep in a list costs what the first page costs, because the cursor's
sort-key values become a WHERE predicate that an index on the same keys can seek to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import asyncpg

T = TypeVar("T")


class Row(Protocol):
    """A result row, read by column name: the asyncpg Record every db function returns."""

    def __getitem__(self, key: str, /) -> Any: ...


@dataclass(frozen=True)
class SortKey:
    expression: str  # a non-null SQL expression over the query's tables
    sql_type: str  # the cursor value's Postgres type, for the parameter cast
    descending: bool = False


@dataclass(frozen=True)
class Ordering:
    """A total order: the last key must be unique (the row id) so ties never reorder pages."""

    name: str
    keys: tuple[SortKey, ...]


@dataclass(frozen=True)
class Window:
    """`limit` rows after `after` (forward) or before `before` (backward, when `backward`)."""

    limit: int
    backward: bool = False
    after: tuple[Any, ...] | None = None
    before: tuple[Any, ...] | None = None


@dataclass
class Page(Generic[T]):
    rows: list[T]
    keys: list[tuple[Any, ...]]  # each row's sort-key values, for its cursor
    has_more: bool  # rows exist beyond the window in its direction


@dataclass
class Sql:
    """A query under construction: WHERE fragments with numbered parameters."""

    select: str
    from_: str
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def param(self, value: Any, cast: str | None = None) -> str:
        self.params.append(value)
        return f"${len(self.params)}::{cast}" if cast else f"${len(self.params)}"

    def filter(self, fragment: str) -> None:
        self.where.append(fragment)

    def where_sql(self) -> str:
        return " and ".join(f"({w})" for w in self.where) if self.where else "true"

    def count_sql(self) -> str:
        return f"select count(*) from {self.from_} where {self.where_sql()}"


def _cursor_param(sql: Sql, key: SortKey, value: Any) -> str:
    if key.sql_type == "date":
        # asyncpg sends date.min as -infinity, which sorts below the 0001-01-01 that stands in for
        # "undated": a cursor on an undated row would skip the undated rows after it. As text,
        # 0001-01-01 stays itself.
        return f"({sql.param(value.isoformat(), 'text')})::date"
    return sql.param(value, key.sql_type)


def _keyset(sql: Sql, ordering: Ordering, values: tuple[Any, ...], after: bool) -> str:
    """Rows strictly after (or before) `values` in `ordering`, as one predicate."""
    if len(values) != len(ordering.keys):
        raise ValueError("cursor does not match the ordering")
    params = [_cursor_param(sql, k, v) for k, v in zip(ordering.keys, values, strict=True)]
    directions = {k.descending for k in ordering.keys}
    if len(directions) == 1:
        # One direction for every key: a row comparison, which a composite index serves.
        forward = ">" if not ordering.keys[0].descending else "<"
        op = forward if after else {"<": ">", ">": "<"}[forward]
        left = ", ".join(k.expression for k in ordering.keys)
        return f"({left}) {op} ({', '.join(params)})"
    terms = []
    for i, key in enumerate(ordering.keys):
        forward = "<" if key.descending else ">"
        op = forward if after else {"<": ">", ">": "<"}[forward]
        equal = [f"{k.expression} = {p}" for k, p in zip(ordering.keys[:i], params[:i], strict=True)]
        terms.append(" and ".join([*equal, f"{key.expression} {op} {params[i]}"]))
    return " or ".join(f"({t})" for t in terms)


def _order_by(ordering: Ordering, reverse: bool) -> str:
    return ", ".join(f"{k.expression} {'desc' if k.descending != reverse else 'asc'}" for k in ordering.keys)


def _window_sql(sql: Sql, ordering: Ordering, window: Window) -> tuple[str, str]:
    """Adds the cursor predicates; returns (key columns, order by) for the window's direction."""
    if window.after is not None:
        sql.filter(_keyset(sql, ordering, window.after, after=True))
    if window.before is not None:
        sql.filter(_keyset(sql, ordering, window.before, after=False))
    key_columns = ", ".join(f"{k.expression} as _k{i}" for i, k in enumerate(ordering.keys))
    return key_columns, _order_by(ordering, reverse=window.backward)


def _limit(window: Window) -> int:
    """The row limit (one more than the page, to learn whether more follow), written into the
    statement rather than passed: with the limit known, Postgres's generic plan for a prepared
    statement is as cheap as a custom one, so it stops re-planning the statement on every call
    (a parameter limit made it re-plan each page and relation statement, ~0.3 ms each)."""
    return int(window.limit) + 1


def _keys(rows: Sequence[asyncpg.Record], n_keys: int) -> list[tuple[Any, ...]]:
    """Each row's sort-key values. Every statement here selects the data columns first, then
    `_k0…` (then `_parent`, `_rn`); a Record slice is a tuple."""
    if not rows:
        return []
    start = list(rows[0].keys()).index("_k0")
    end = start + n_keys
    return [row[start:end] for row in rows]


async def fetch_page(
    conn: asyncpg.Pool | asyncpg.Connection, sql: Sql, ordering: Ordering, window: Window
) -> Page[Row]:
    key_columns, order_by = _window_sql(sql, ordering, window)
    limit = _limit(window)
    rows = await conn.fetch(
        f"select {sql.select}, {key_columns} from {sql.from_} where {sql.where_sql()} "
        f"order by {order_by} limit {limit}",
        *sql.params,
    )
    has_more = len(rows) > window.limit
    rows = rows[: window.limit]
    if window.backward:
        rows = list(reversed(rows))
    return Page(rows=list(rows), keys=_keys(rows, len(ordering.keys)), has_more=has_more)


async def fetch_pages_by_parent(
    conn: asyncpg.Pool | asyncpg.Connection,
    sql: Sql,
    parent: str,
    parent_ids: Sequence[int],
    ordering: Ordering,
    window: Window,
) -> dict[int, Page[Row]]:
    """The same window of a related list for many parents at once, in one statement."""
    sql.filter(f"{parent} = any({sql.param(list(parent_ids), 'bigint[]')})")
    key_columns, order_by = _window_sql(sql, ordering, window)
    limit = _limit(window)
    rows = await conn.fetch(
        f"select * from (select {sql.select}, {key_columns}, {parent} as _parent, "
        f"row_number() over (partition by {parent} order by {order_by}) as _rn "
        f"from {sql.from_} where {sql.where_sql()}) t where _rn <= {limit} order by _parent, _rn",
        *sql.params,
    )
    keys = _keys(rows, len(ordering.keys))
    grouped: dict[int, tuple[list[Row], list[tuple[Any, ...]]]] = {pid: ([], []) for pid in parent_ids}
    for row, row_keys in zip(rows, keys, strict=True):
        group = grouped[row["_parent"]]
        group[0].append(row)
        group[1].append(row_keys)
    pages = {}
    for pid, (group_data, group_keys) in grouped.items():
        has_more = len(group_data) > window.limit
        del group_data[window.limit :], group_keys[window.limit :]
        if window.backward:
            group_data.reverse()
            group_keys.reverse()
        pages[pid] = Page(rows=group_data, keys=group_keys, has_more=has_more)
    return pages


async def count_by_parent(
    conn: asyncpg.Pool | asyncpg.Connection, sql: Sql, parent: str, parent_ids: Sequence[int]
) -> dict[int, int]:
    sql.filter(f"{parent} = any({sql.param(list(parent_ids), 'bigint[]')})")
    rows = await conn.fetch(
        f"select {parent} as parent, count(*) as n from {sql.from_} "
        f"where {sql.where_sql()} group by {parent}",
        *sql.params,
    )
    counts = dict.fromkeys(parent_ids, 0)
    counts.update({r["parent"]: r["n"] for r in rows})
    return counts


@dataclass
class SiblingList:
    """One of several lists of the same parents, fetched in one statement with its siblings:
    `sql` selects the related rows (its data columns named by `names`), `parent` is the SQL
    expression of a related row's parent id; `rows` and `count` say what is wanted."""

    sql: Sql
    names: tuple[str, ...]
    parent: str
    ordering: Ordering
    window: Window
    rows: bool = True
    count: bool = False
    # Its select-list items by (position, parameter offset): a list with no filter and no
    # cursor is made once (db.relations) and its SQL text with it (18% of a lookup's CPU).
    columns_sql: dict[tuple[int, int], list[str]] = field(default_factory=dict, compare=False, repr=False)


_PARAM = re.compile(r"\$(\d+)")


def _renumbered(text: str, offset: int) -> str:
    """`text` with its parameters $n as $(n + offset). Only our own SQL fragments pass here:
    values always go in as parameters, so a `$` followed by digits is always one."""
    return _PARAM.sub(lambda m: f"${int(m.group(1)) + offset}", text) if offset else text


ListResults = list[tuple[dict[int, Page[Row]], dict[int, int]]]  # per list: pages, counts by parent


async def fetch_sibling_lists(
    conn: asyncpg.Pool | asyncpg.Connection, parent_ids: Sequence[int], lists: Sequence[SiblingList]
) -> ListResults:
    """Every list's window (and count) for every parent, in one statement: per parent, each list
    is an `array(select row(…) … order by … limit n)` (and a `count(*)`), so a level with four
    relations costs one round trip instead of four. Rows come back as dicts by column name."""
    _, results = await _with_lists(conn, "unnest($1::bigint[]) as _p(id)", [list(parent_ids)], lists)
    return results


async def fetch_rows_with_lists(
    conn: asyncpg.Pool | asyncpg.Connection, parents: Sql, lists: Sequence[SiblingList]
) -> tuple[list[Row], ListResults]:
    """The rows `parents` selects (they must include `id`) and their lists, in one statement:
    a lookup by slug with its relations is one round trip."""
    select = f"select {parents.select} from {parents.from_} where {parents.where_sql()}"
    return await _with_lists(conn, f"({select}) _p", list(parents.params), lists)


def _list_columns(item: SiblingList, i: int, offset: int) -> list[str]:
    """The select-list items of the `i`th list (`_l{i}`, `_c{i}`), its parameters numbered
    from `offset` + 1."""
    sql = item.sql
    base_where = sql.where_sql()
    key_columns, order_by = _window_sql(sql, item.ordering, item.window)
    own = f"{item.parent} = _p.id"

    def fix(text: str) -> str:
        return _renumbered(text, offset)

    parts = []
    if item.rows:
        parts.append(
            f"array(select row(_s.*) from (select {fix(sql.select)}, {key_columns} "
            f"from {fix(sql.from_)} where {fix(sql.where_sql())} and {own} "
            f"order by {fix(order_by)} limit {_limit(item.window)}) _s) as _l{i}"
        )
    if item.count:
        parts.append(f"(select count(*) from {fix(sql.from_)} where {fix(base_where)} and {own}) as _c{i}")
    return parts


async def _with_lists(
    conn: asyncpg.Pool | asyncpg.Connection,
    source: str,
    params: list[Any],
    lists: Sequence[SiblingList],
) -> tuple[list[Row], ListResults]:
    columns: list[str] = []
    for i, item in enumerate(lists):
        offset = len(params)  # the list's own $1 follows the parameters before it
        parts = item.columns_sql.get((i, offset))
        if parts is None:
            parts = item.columns_sql[(i, offset)] = _list_columns(item, i, offset)
        columns += parts
        params += item.sql.params
    found = await conn.fetch(f"select {', '.join(['_p.*', *columns])} from {source}", *params)
    results: ListResults = []
    for i, item in enumerate(lists):
        names, n_data = item.names, len(item.names)
        pages: dict[int, Page[Row]] = {}
        counts: dict[int, int] = {}
        for row in found:
            pid = row["id"]
            if item.rows:
                records = row[f"_l{i}"]
                has_more = len(records) > item.window.limit
                records = records[: item.window.limit]
                if item.window.backward:
                    records.reverse()
                pages[pid] = Page(
                    rows=[dict(zip(names, r, strict=False)) for r in records],
                    keys=[r[n_data:] for r in records],
                    has_more=has_more,
                )
            if item.count:
                counts[pid] = row[f"_c{i}"]
        results.append((pages, counts))
    return list(found), results
