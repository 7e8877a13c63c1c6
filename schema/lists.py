"""Resolving a connection field: root lists (one statement) and relations (through loaders)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from db.paging import Ordering, Page, Sql, Window, fetch_page
from db.relations import RELATIONS
from db.tables import Table
from schema.context import Info
from schema.paging import (
    Connection,
    RoleConnection,
    build_connection,
    build_role_connection,
    make_window,
)

NodeT = TypeVar("NodeT")
Row = dict[str, Any]


async def root_connection(
    info: Info,
    table: Table,
    sql_for: Callable[[], Sql],
    ordering_name: str | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    to_node: Callable[[Row], NodeT],
) -> Connection[NodeT]:
    ordering = table.ordering(ordering_name)
    window = make_window(ordering, first, after, last, before)
    pool = info.context.pool
    page = await fetch_page(pool, sql_for(), ordering, window)

    async def count() -> int:
        sql = sql_for()
        return int(await pool.fetchval(sql.count_sql(), *sql.params))

    return build_connection(page, ordering, window, to_node, count)


async def _relation_page(
    info: Info,
    relation_name: str,
    parent_id: int,
    ordering_name: str | None,
    page_args: tuple[int | None, str | None, int | None, str | None],
    filter_: Any,
) -> tuple[Page[Row], Ordering, Window, Callable[[], Awaitable[int]]]:
    relation = RELATIONS[relation_name]
    ordering = relation.table.ordering(ordering_name, relation.tiebreak)
    window = make_window(ordering, *page_args)
    loaders = info.context.loaders
    page = await loaders.page(relation_name, parent_id, ordering_name, window, filter_)

    async def count() -> int:
        return await loaders.count(relation_name, parent_id, filter_)

    return page, ordering, window, count


async def relation_connection(
    info: Info,
    relation_name: str,
    parent_id: int,
    ordering_name: str | None,
    page_args: tuple[int | None, str | None, int | None, str | None],
    to_node: Callable[[Row], NodeT],
    filter_: Any = None,
) -> Connection[NodeT]:
    page, ordering, window, count = await _relation_page(
        info, relation_name, parent_id, ordering_name, page_args, filter_
    )
    return build_connection(page, ordering, window, to_node, count)


async def role_connection(
    info: Info,
    relation_name: str,
    parent_id: int,
    ordering_name: str | None,
    page_args: tuple[int | None, str | None, int | None, str | None],
    to_node: Callable[[Row], NodeT],
    filter_: Any = None,
) -> RoleConnection[NodeT]:
    page, ordering, window, count = await _relation_page(
        info, relation_name, parent_id, ordering_name, page_args, filter_
    )
    return build_role_connection(page, ordering, window, to_node, count)
