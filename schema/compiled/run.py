"""Running a plan: one statement per nested list per level (as the DataLoaders batch), and
every object built straight from its row, with no per-field resolver, future or task."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from graphql import GraphQLSchema

from db.paging import ListResults, Ordering, Page, Row, Window
from db.relations import ListRequest, lists_for_parents, row_with_lists
from schema.compiled.adapter import VariableValues
from schema.compiled.plan import (
    Arguments,
    ConnectionPlan,
    EdgePlan,
    Edges,
    NestedList,
    NestedOne,
    NestedPublicError,
    Nodes,
    ObjectPlan,
    OperationPlan,
    PageInfoFields,
    ResolverStep,
    RootField,
    TotalCount,
    Typename,
    Unsupported,
)
from schema.context import Context
from schema.entities import NODE_TABLES
from schema.errors import PublicError
from schema.globalid import from_global_id
from schema.lists import BySlug, NodeLookup, PageArgs, RootList
from schema.loaders import TABLES
from schema.orders import order_name
from schema.paging import encode_cursor, page_flags

T = TypeVar("T")
_EMPTY: Page[Row] = Page(rows=[], keys=[], has_more=False)
_Prepared = tuple[NestedList, Ordering, Window, Any]  # a list field with its window and db filter
RootError = Callable[[str, PublicError], None]  # (response key, error): records it or raises
# Resolves a ResolverStep's root field with graphql-core's executor (which records its errors).
ResolveRoot = Callable[[RootField], Awaitable[Any]]


async def _together(work: list[Coroutine[Any, Any, T]]) -> list[T]:
    """The results of these coroutines, run concurrently; one (the usual case) is awaited as
    it is, without the Task that `gather` makes for each (~25 µs apiece)."""
    if len(work) == 1:
        return [await work[0]]
    return list(await asyncio.gather(*work)) if work else []


def _page_args(args: dict[str, Any]) -> PageArgs:
    return args.get("first"), args.get("after"), args.get("last"), args.get("before")


class Runner:
    def __init__(
        self,
        schema: GraphQLSchema,
        context: Context,
        variables: VariableValues,
        resolve: ResolveRoot | None = None,
    ) -> None:
        self.schema = schema
        self.context = context
        self.variables = variables
        self.resolve = resolve  # resolver steps: graphql-core resolves the root field

    def arguments(self, arguments: Arguments | None) -> dict[str, Any]:
        assert arguments is not None
        return arguments.convert(self.variables, self.schema)

    async def run(self, plan: OperationPlan, on_error: RootError) -> dict[str, Any]:
        """The root fields' values. A client error in a root field's arguments (a bad cursor,
        a page too large, an unknown slug in a filter) goes to `on_error`, which records it with
        the field's path and returns (the field is then null) or raises (it cannot be null),
        as the general executor does. Resolver steps go to `resolve`."""
        data: dict[str, Any] = {}
        for root in plan.roots:
            if isinstance(root.spec, ResolverStep):
                data[root.key] = await self.resolved(root)
                continue
            try:
                data[root.key] = await self.root(root)
            except PublicError as error:
                on_error(root.key, error)
                data[root.key] = None
        return data

    async def resolved(self, root: RootField) -> Any:
        assert self.resolve is not None, "a plan with resolver steps runs with an executor"
        return await self.resolve(root)

    async def root(self, root: RootField) -> Any:
        spec = root.spec
        if spec is None:
            return "Query"
        assert not isinstance(spec, ResolverStep)
        args = self.arguments(root.arguments)
        if isinstance(spec, RootList):
            assert root.connection is not None
            page, ordering, window, count = await spec.page(
                self.context,
                order_name(args.get("order_by")),
                _page_args(args),
                args.get("filter"),
                args.get("search"),
                root.connection.columns,
            )
            counts = [await count()] if root.connection.wants_count else [0]
            return (await self.connections(root.connection, [page], ordering, window, counts))[0]
        if isinstance(spec, BySlug):
            assert root.target is not None
            return await self.by_slug(spec.table, root.target, args["slug"])
        assert isinstance(spec, NodeLookup)
        type_name, key = from_global_id(args["id"])
        if type_name not in NODE_TABLES:  # a type no table backs (an Observation): resolved
            return await self.resolved(root)
        return await self.by_slug(NODE_TABLES[type_name], root.targets[type_name], key)

    async def objects(self, plan: ObjectPlan, rows: list[Row]) -> list[dict[str, Any]]:
        built = list(map(plan.build, rows))
        if plan.nested and rows:
            work = [self.nested_one(n, rows, built) for n in plan.ones]
            if plan.lists:
                work.append(self.nested_lists(plan.lists, rows, built))
            await _together(work)
        return built

    async def nested_lists(
        self, lists: list[NestedList], rows: list[Row], built: list[dict[str, Any]]
    ) -> None:
        """Every list field of one level (`actors`, `sources`… of these events): all their pages
        and counts in one statement, then each list's items built, the lists side by side."""
        prepared, requests = await self.prepare_lists(lists)
        fetched = (
            await lists_for_parents(
                self.context.lookup_pool, list(dict.fromkeys(row["id"] for row in rows)), requests
            )
            if requests
            else []
        )
        await self.finish_lists(prepared, fetched, rows, built)

    async def prepare_lists(self, lists: list[NestedList]) -> tuple[list[_Prepared], list[ListRequest]]:
        """Each list's ordering, window and filter (a client error here is below the root), and
        the requests for those that want rows or a count."""
        prepared = []
        for nested in lists:
            args = self.arguments(nested.arguments)
            try:
                ordering, window, f = await nested.spec.prepare(
                    self.context, order_name(args.get("order_by")), _page_args(args), args.get("filter")
                )
            except PublicError as error:
                raise NestedPublicError(error) from error
            prepared.append((nested, ordering, window, f))
        requests = [
            ListRequest(
                nested.spec.relation,
                ordering,
                window,
                f,
                nested.connection.columns,
                nested.connection.wants_rows,
                nested.connection.wants_count,
            )
            for nested, ordering, window, f in prepared
            if nested.connection.wants_rows or nested.connection.wants_count
        ]
        return prepared, requests

    async def finish_lists(
        self,
        prepared: list[_Prepared],
        fetched: ListResults,
        rows: list[Row],
        built: list[dict[str, Any]],
    ) -> None:
        results = iter(fetched)
        work = []
        for nested, ordering, window, _ in prepared:
            connection = nested.connection
            pages: dict[int, Page[Row]] = {}
            counts: dict[int, int] = {}
            if connection.wants_rows or connection.wants_count:
                pages, counts = next(results)
            work.append(
                self.connections(
                    connection,
                    [pages.get(row["id"], _EMPTY) for row in rows],
                    ordering,
                    window,
                    [counts.get(row["id"], 0) for row in rows],
                )
            )
        for (nested, *_), values in zip(prepared, await _together(work), strict=True):
            for obj, value in zip(built, values, strict=True):
                obj[nested.key] = value

    async def by_slug(self, table: str, target: ObjectPlan, slug: str) -> dict[str, Any] | None:
        """A lookup by slug (`event(slug:)`, `node(id:)`): the row, only the columns the plan
        reads, and its lists in one statement, without a DataLoader's future and batch."""
        prepared, requests = await self.prepare_lists(target.lists) if target.lists else ([], [])
        row, fetched = await row_with_lists(
            self.context.lookup_pool, TABLES[table], "slug", slug, "text", target.columns, requests
        )
        if row is None:
            return None
        built = [target.build(row)]
        work = [self.nested_one(n, [row], built) for n in target.ones]
        if prepared:
            work.append(self.finish_lists(prepared, fetched, [row], built))
        await _together(work)
        return built[0]

    async def nested_one(self, nested: NestedOne, rows: list[Row], built: list[dict[str, Any]]) -> None:
        keys = [row[nested.spec.column] for row in rows]
        wanted = list(dict.fromkeys(k for k in keys if k is not None))
        found = await nested.spec.rows(self.context, wanted) if wanted else []
        by_key = {k: r for k, r in zip(wanted, found, strict=True) if r is not None}
        targets, positions = [], []
        for i, key in enumerate(keys):
            row = by_key.get(key) if key is not None else None
            if row is None:
                if not nested.nullable:
                    raise Unsupported(f"no row for the non-null {nested.key}")
                built[i][nested.key] = None
            else:
                targets.append(row)
                positions.append(i)
        for i, obj in zip(positions, await self.objects(nested.target, targets), strict=True):
            built[i][nested.key] = obj

    async def connections(
        self,
        plan: ConnectionPlan,
        pages: list[Page[Row]],
        ordering: Ordering,
        window: Window,
        counts: list[int],
    ) -> list[dict[str, Any]]:
        """One connection per page; the items of all pages are built together, per selection."""
        rows = [row for page in pages for row in page.rows]
        built = {id(p): list(map(p.build, rows)) for p in plan.object_plans if not p.nested}
        deep = [p for p in plan.object_plans if p.nested]
        if deep:
            built_lists = await _together([self.objects(p, rows) for p in deep])
            built.update((id(p), objs) for p, objs in zip(deep, built_lists, strict=True))
        result = []
        offset = 0
        for page, count in zip(pages, counts, strict=True):
            size = len(page.rows)
            value: dict[str, Any] = {}
            for key, part in plan.order:
                match part:
                    case Edges(edge):
                        value[key] = self.edges(edge, page, ordering, built, offset)
                    case Nodes(nodes):
                        value[key] = built[id(nodes)][offset : offset + size]
                    case PageInfoFields(fields):
                        value[key] = self.page_info(fields, page, ordering, window)
                    case TotalCount():
                        value[key] = count
                    case Typename(name):
                        value[key] = name
            result.append(value)
            offset += size
        return result

    @staticmethod
    def edges(
        plan: EdgePlan,
        page: Page[Row],
        ordering: Ordering,
        built: dict[int, list[dict[str, Any]]],
        offset: int,
    ) -> list[dict[str, Any]]:
        lists = [built[id(node)] for node in plan.nodes]
        build = plan.build
        return [
            build(row, keys, offset + i, ordering, *lists)
            for i, (row, keys) in enumerate(zip(page.rows, page.keys, strict=True))
        ]

    @staticmethod
    def page_info(
        fields: tuple[tuple[str, str], ...], page: Page[Row], ordering: Ordering, window: Window
    ) -> dict[str, Any]:
        has_next, has_previous = page_flags(window, page)
        values = {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": encode_cursor(ordering, page.keys[0]) if page.keys else None,
            "endCursor": encode_cursor(ordering, page.keys[-1]) if page.keys else None,
            "__typename": "PageInfo",
        }
        return {key: values[name] for key, name in fields}
