"""Connection fields: root lists (one statement) and relations (one statement per level).

Each field carries its spec (`RootList`, `RelationList`, `ToOne`) in strawberry's field
metadata under `FIELD_SPEC`, so the compiled executor (schema/compiled) serves the same field
from the same spec without calling the resolver once per parent.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, TypeVar

import strawberry

from db.paging import Ordering, Page, Row, Sql, Window, fetch_page
from db.relations import RELATIONS, Relation
from db.tables import Table, rows_by_keys
from schema.context import Context, Info
from schema.errors import BadRequest
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
PageArgs = tuple[int | None, str | None, int | None, str | None]  # first, after, last, before
FilterConvert = Callable[[Context, Any], Awaitable[Any]]
Count = Callable[[], Awaitable[int]]

FIELD_SPEC = "detente.spec"
LINK_ATTRIBUTE = "detente.link_attribute"  # a to-one link's private attribute (schema/rows.py)

Slug = Annotated[str, strawberry.argument(description="The record's slug.")]
Search = Annotated[
    str | None,
    strawberry.argument(
        description='Full-text search (stemmed words, "quoted phrases", -exclusions), combined with `filter`.'
    ),
]

FilterT = TypeVar("FilterT")


def with_search(f: FilterT | None, text: str | None, filter_type: type[FilterT]) -> FilterT | None:
    """The `search` argument folded into the filter (both must hold)."""
    if text is None:
        return f
    if not text.strip():
        raise BadRequest("search must not be empty")
    if f is not None and getattr(f, "search", None):
        raise BadRequest("give `search` either as an argument or inside `filter`, not both")
    return dataclasses.replace(f, search=text) if f is not None else filter_type(search=text)  # type: ignore[call-arg,type-var]


@dataclass(frozen=True)
class RootList:
    """A root list: its table, its SQL for a db filter, and how `filter`/`search` become that filter."""

    table: Table
    sql_for: Callable[[Any], Sql]
    convert: FilterConvert | None = None
    search_filter: type | None = None  # the db filter type, when the list takes `search`

    async def page(
        self,
        context: Context,
        ordering_name: str | None,
        page_args: PageArgs,
        filter_: Any = None,
        search: str | None = None,
        columns: Collection[str] | None = None,
    ) -> tuple[Page[Row], Ordering, Window, Count]:
        """The page (only `columns` of the table when given) and a way to count the whole list."""
        f = await self.convert(context, filter_) if self.convert is not None and filter_ is not None else None
        if self.search_filter is not None:
            f = with_search(f, search, self.search_filter)
        ordering = self.table.ordering(ordering_name)
        window = make_window(ordering, *page_args)
        pool = context.pool
        page = await fetch_page(pool, self.table.narrow(self.sql_for(f), columns), ordering, window)

        async def count() -> int:
            sql = self.sql_for(f)
            return int(await pool.fetchval(sql.count_sql(), *sql.params))

        return page, ordering, window, count


@dataclass(frozen=True)
class RelationList:
    """A relation followed from a parent (`event.actors`…), optionally filtered."""

    relation_name: str
    with_role: bool = False
    convert: FilterConvert | None = None

    @property
    def relation(self) -> Relation:
        return RELATIONS[self.relation_name]

    def ordering(self, ordering_name: str | None) -> Ordering:
        return self.relation.table.ordering(ordering_name, self.relation.tiebreak)

    async def prepare(
        self, context: Context, ordering_name: str | None, page_args: PageArgs, filter_: Any
    ) -> tuple[Ordering, Window, Any]:
        """The ordering, keyset window and db filter for a field's arguments; a bad cursor, page
        size or filter slug is a BadRequest here, before any page is fetched."""
        f = await self.convert(context, filter_) if self.convert is not None and filter_ is not None else None
        ordering = self.ordering(ordering_name)
        return ordering, make_window(ordering, *page_args), f


@dataclass(frozen=True)
class ToOne:
    """A single related row, by a foreign key column of the parent row (`policy.issuer`…)."""

    table: str  # a key of Loaders.by_id
    column: str  # the parent row's column holding its id

    async def rows(self, context: Context, keys: Sequence[int]) -> list[Row | None]:
        from schema.loaders import TABLES

        return await rows_by_keys(context.lookup_pool, TABLES[self.table], "id", keys, "bigint")


async def relation_page(
    info: Info,
    spec: RelationList,
    parent_id: int,
    ordering_name: str | None,
    page_args: PageArgs,
    filter_: Any,
) -> tuple[Page[Row], Ordering, Window, Count]:
    """One parent's page, through the request's loaders (which batch the parents of a level)."""
    ordering, window, converted = await spec.prepare(info.context, ordering_name, page_args, filter_)
    loaders = info.context.loaders
    page = await loaders.page(spec.relation_name, parent_id, ordering_name, window, converted)

    async def count() -> int:
        return await loaders.count(spec.relation_name, parent_id, converted)

    return page, ordering, window, count


def _lazy_node(node: tuple[str, str]) -> tuple[Any, Callable[[Row], Any]]:
    """The item type as a lazy annotation, and a row → item converter that imports it late, so
    that types referring to each other can build their fields without importing each other."""
    module_name, class_name = node

    def to_node(row: Row) -> Any:
        return getattr(importlib.import_module(module_name), class_name).from_row(row)

    return Annotated[class_name, strawberry.lazy(module_name)], to_node


def _list_field(
    resolve: Callable[..., Awaitable[Any]],
    hints: dict[str, Any],
    description: str,
    spec: RootList | RelationList,
    *,
    order: type[Enum] | None,
    filter_type: Any,
    filter_description: str,
) -> Any:
    """A strawberry field over `resolve`, offering only the arguments named in `hints`."""
    hints = {"info": Info, "first": First, "after": After, "last": Last, "before": Before, **hints}
    if order is not None:
        hints["order_by"] = Annotated[order | None, strawberry.argument(description="The order of the list.")]
    if filter_type is not None:
        hints["filter"] = Annotated[filter_type | None, strawberry.argument(description=filter_description)]
    # strawberry reads the signature: keep only the arguments this list offers, with their
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
    return strawberry.field(resolver=resolve, description=description, metadata={FIELD_SPEC: spec})


def root_list_field(
    spec: RootList,
    node: tuple[str, str],
    description: str,
    *,
    order: type[Enum],
    filter_type: Any = None,
    filter_description: str = "",
) -> Any:
    """A root connection field: Relay page arguments, `orderBy`, and `filter`/`search` when the
    list offers them."""
    node_type: Any
    node_type, to_node = _lazy_node(node)

    async def resolve(
        root: Any,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        order_by: Any = None,
        filter: Any = None,
        search: Search = None,
    ) -> Any:
        page, ordering, window, count = await spec.page(
            info.context, order_name(order_by), (first, after, last, before), filter, search
        )
        return build_connection(page, ordering, window, to_node, count)

    hints: dict[str, Any] = {"return": Connection[node_type]}
    if spec.search_filter is not None:
        hints["search"] = Search
    return _list_field(
        resolve,
        hints,
        description,
        spec,
        order=order,
        filter_type=filter_type,
        filter_description=filter_description,
    )


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
    the relation offers them. `node` names the item type by module and class."""
    spec = RelationList(relation_name, with_role, convert)
    node_type: Any
    node_type, to_node = _lazy_node(node)

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
        page, ordering, window, count = await relation_page(
            info, spec, root.pk, order_name(order_by), (first, after, last, before), filter
        )
        build = build_role_connection if with_role else build_connection
        return build(page, ordering, window, to_node, count)

    connection = RoleConnection if with_role else Connection
    return _list_field(
        resolve,
        {"return": connection[node_type]},
        description,
        spec,
        order=order,
        filter_type=filter_type,
        filter_description=filter_description,
    )


@dataclass(frozen=True)
class BySlug:
    """A root lookup of one record by slug."""

    table: str  # a key of Loaders.by_slug


@dataclass(frozen=True)
class NodeLookup:
    """The Relay `node(id:)` lookup."""


def by_slug_field(table: str, node: tuple[str, str], description: str) -> Any:
    """A root lookup of one record by slug; null when there is none."""
    node_type: Any
    node_type, to_node = _lazy_node(node)

    async def resolve(info: Info, slug: Slug) -> Any:
        row = await info.context.loaders.by_slug[table].load(slug)
        return to_node(row) if row is not None else None

    resolve.__annotations__ = {"info": Info, "slug": Slug, "return": node_type | None}
    return strawberry.field(resolver=resolve, description=description, metadata={FIELD_SPEC: BySlug(table)})


def to_one_field(
    spec: ToOne, attribute: str, node: tuple[str, str], description: str, *, nullable: bool = False
) -> Any:
    """A link to one record by the foreign key its parent holds: the parent object's `attribute`,
    the row's `spec.column` (which the compiled plans read)."""
    node_type: Any
    node_type, to_node = _lazy_node(node)

    async def resolve(root: Any, info: Info) -> Any:
        key = getattr(root, attribute)
        row = await info.context.loaders.by_id[spec.table].load(key) if key is not None else None
        if row is None:
            assert nullable, f"{spec.column} is a NOT NULL foreign key"
            return None
        return to_node(row)

    resolve.__annotations__ = {
        "root": Any,
        "info": Info,
        "return": node_type | None if nullable else node_type,
    }
    return strawberry.field(
        resolver=resolve, description=description, metadata={FIELD_SPEC: spec, LINK_ATTRIBUTE: attribute}
    )
