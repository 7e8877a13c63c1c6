"""Relay connections: page arguments, opaque cursors, PageInfo and the generic Connection types."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from db.paging import Ordering, Page, Row, Window
from schema.enums import Role
from schema.errors import BadRequest
from schema.shown import shown

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

NodeT = TypeVar("NodeT")

First = Annotated[
    int | None,
    strawberry.argument(
        description=f"Return the first n items (after `after`). Default {DEFAULT_PAGE_SIZE}, "
        f"at most {MAX_PAGE_SIZE}."
    ),
]
After = Annotated[str | None, strawberry.argument(description="Return items after this cursor.")]
Last = Annotated[
    int | None,
    strawberry.argument(description=f"Return the last n items (before `before`), at most {MAX_PAGE_SIZE}."),
]
Before = Annotated[str | None, strawberry.argument(description="Return items before this cursor.")]


def encode_cursor(ordering: Ordering, values: tuple[Any, ...]) -> str:
    plain = [v.isoformat() if isinstance(v, dt.date) else v for v in values]
    raw = json.dumps([ordering.name, *plain], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(ordering: Ordering, cursor: str) -> tuple[Any, ...]:
    problem = BadRequest(
        f"cursor {shown(cursor)!r} is not valid for this list and ordering ({ordering.name}); "
        "use a cursor returned by the same field with the same orderBy"
    )
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeError):
        raise problem from None
    if not isinstance(raw, list) or len(raw) != len(ordering.keys) + 1 or raw[0] != ordering.name:
        raise problem
    values: list[Any] = []
    for key, value in zip(ordering.keys, raw[1:], strict=True):
        try:
            if key.sql_type == "date":
                values.append(dt.date.fromisoformat(value))
            elif key.sql_type == "float8":
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise TypeError
                values.append(float(value))
            elif key.sql_type in ("bigint", "smallint"):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise TypeError
                values.append(value)
            else:
                if not isinstance(value, str):
                    raise TypeError
                values.append(value)
        except (TypeError, ValueError):
            raise problem from None
    return tuple(values)


def make_window(
    ordering: Ordering,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Window:
    """Check Relay page arguments and turn them into a keyset window."""
    if first is not None and last is not None:
        raise BadRequest("pass either `first` or `last`, not both")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
            raise BadRequest(
                f"`{name}` must be between 0 and {MAX_PAGE_SIZE}, got {value}; "
                "page through longer lists with cursors"
            )
    after_values = decode_cursor(ordering, after) if after is not None else None
    before_values = decode_cursor(ordering, before) if before is not None else None
    if last is not None:
        return Window(limit=last, backward=True, after=after_values, before=before_values)
    limit = first if first is not None else DEFAULT_PAGE_SIZE
    return Window(limit=limit, backward=False, after=after_values, before=before_values)


@strawberry.type(description="Where this page sits in the whole list (Relay PageInfo).")
class PageInfo:
    ordering: strawberry.Private[Ordering | None]
    first_keys: strawberry.Private[tuple[Any, ...] | None]
    last_keys: strawberry.Private[tuple[Any, ...] | None]
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items come before this page.")

    # Cursors are encoded only when asked for: most queries never select them.
    @strawberry.field(description="Cursor of the first item on the page.")
    def start_cursor(self) -> str | None:
        if self.ordering is None or self.first_keys is None:
            return None
        return encode_cursor(self.ordering, self.first_keys)

    @strawberry.field(description="Cursor of the last item on the page.")
    def end_cursor(self) -> str | None:
        if self.ordering is None or self.last_keys is None:
            return None
        return encode_cursor(self.ordering, self.last_keys)


@strawberry.type(description="One item of a list, with its cursor.")
class Edge(Generic[NodeT]):
    ordering: strawberry.Private[Ordering]
    keys: strawberry.Private[tuple[Any, ...]]
    node: NodeT = strawberry.field(description="The item.")

    @strawberry.field(description="Pass as `after` or `before` to page from here.")
    def cursor(self) -> str:
        return encode_cursor(self.ordering, self.keys)


@strawberry.type(description="An actor in an event, or an event of an actor, with the actor's role.")
class RoleEdge(Generic[NodeT]):
    ordering: strawberry.Private[Ordering]
    keys: strawberry.Private[tuple[Any, ...]]
    role: Role = strawberry.field(description="The actor's role in the event.")
    node: NodeT = strawberry.field(description="The item.")

    @strawberry.field(description="Pass as `after` or `before` to page from here.")
    def cursor(self) -> str:
        return encode_cursor(self.ordering, self.keys)


def page_flags(window: Window, page: Page[Any]) -> tuple[bool, bool]:
    """(hasNextPage, hasPreviousPage) of a page taken through `window`."""
    forward_more = page.has_more if not window.backward else window.before is not None
    backward_more = page.has_more if window.backward else window.after is not None
    return forward_more, backward_more


def page_info(window: Window, page: Page[Any], ordering: Ordering | None) -> PageInfo:
    forward_more, backward_more = page_flags(window, page)
    return PageInfo(
        ordering=ordering,
        first_keys=page.keys[0] if page.keys else None,
        last_keys=page.keys[-1] if page.keys else None,
        has_next_page=forward_more,
        has_previous_page=backward_more,
    )


@strawberry.type(description="A page of a list (a Relay connection).")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page, with cursors.")
    page_info: PageInfo = strawberry.field(description="Whether more pages exist, and their cursors.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The items of this page, without cursors.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many items the whole list holds, with its filters applied.")
    async def total_count(self) -> int:
        return await self.count()


def build_connection(
    page: Page[Row],
    ordering: Ordering,
    window: Window,
    to_node: Callable[[Row], NodeT],
    count: Callable[[], Awaitable[int]],
) -> Connection[NodeT]:
    edges = [
        Edge(ordering=ordering, keys=keys, node=to_node(row))
        for row, keys in zip(page.rows, page.keys, strict=True)
    ]
    return Connection(edges=edges, page_info=page_info(window, page, ordering), count=count)


@strawberry.type(description="A page of an event's actors or an actor's events; each edge carries the role.")
class RoleConnection(Generic[NodeT]):
    edges: list[RoleEdge[NodeT]] = strawberry.field(description="The items of this page, with roles.")
    page_info: PageInfo = strawberry.field(description="Whether more pages exist, and their cursors.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The items of this page, without cursors or roles.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many items the whole list holds, with its filters applied.")
    async def total_count(self) -> int:
        return await self.count()


def build_role_connection(
    page: Page[Row],
    ordering: Ordering,
    window: Window,
    to_node: Callable[[Row], NodeT],
    count: Callable[[], Awaitable[int]],
) -> RoleConnection[NodeT]:
    edges = [
        RoleEdge(ordering=ordering, keys=keys, role=Role(row["role"]), node=to_node(row))
        for row, keys in zip(page.rows, page.keys, strict=True)
    ]
    return RoleConnection(edges=edges, page_info=page_info(window, page, ordering), count=count)
