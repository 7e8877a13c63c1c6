"""Resolving a connection field: root lists (one statement) and relations (through loaders)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Annotated, Any, TypeVar

import strawberry

from db.paging import Ordering, Page, Sql, Window, fetch_page
from db.relations import RELATIONS
from db.tables import Table
from schema.context import Info
from schema.orders import order_name
from schema.paging import (
    After,
    Before,
    Connection,
    First,
    Last,
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


FilterConvert = Callable[[Info, Any], Awaitable[Any]]


def relation_field(
    relation_name: str,
    node: tuple[str, str],
    description: str,
    *,
    order: type[Enum] | None = None,
    filter_type: Any = None,
    filter_description: str = "",
    convert: FilterConvert | None = None,
    with_role: bool = False,
) -> Any:
    """A connection field over a relation: Relay page arguments, and `orderBy` and `filter` when
    the relation offers them. `node` names the item type by module and class, so that types
    that refer to each other can build their fields without importing each other first."""
    module_name, class_name = node

    def to_node(row: Row) -> Any:
        return getattr(importlib.import_module(module_name), class_name).from_row(row)

    async def resolve(
        root: Any,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        order_by: Any = None,
        filter: Any = None,
    ) -> Any:
        converted = await convert(info, filter) if convert is not None and filter is not None else None
        build = role_connection if with_role else relation_connection
        return await build(
            info,
            relation_name,
            root.pk,
            order_name(order_by),
            (first, after, last, before),
            to_node,
            converted,
        )

    node_type: Any = Annotated[class_name, strawberry.lazy(module_name)]
    hints: dict[str, Any] = {
        "info": Info,
        "first": First,
        "after": After,
        "last": Last,
        "before": Before,
        "return": RoleConnection[node_type] if with_role else Connection[node_type],
    }
    if order is not None:
        hints["order_by"] = Annotated[order | None, strawberry.argument(description="The order of the list.")]
    if filter_type is not None:
        hints["filter"] = Annotated[filter_type | None, strawberry.argument(description=filter_description)]
    # strawberry reads the signature: keep only the arguments this relation offers, with their
    # real (not stringified) annotations.
    signature = inspect.signature(resolve)
    parameters = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in signature.parameters.values()
        if p.name == "root" or p.name in hints
    ]
    resolve.__annotations__ = hints
    resolve.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=hints["return"]
    )
    return strawberry.field(resolver=resolve, description=description)
