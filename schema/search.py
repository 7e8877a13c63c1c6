"""Search across kinds: one ranked list of events, policies, actors and sources, with snippets."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import strawberry

from db.paging import fetch_page
from db.search import SEARCH_ORDERING, search_sql
from schema.actors import Actor
from schema.context import Info
from schema.errors import BadRequest
from schema.events import Event
from schema.paging import After, First, PageInfo, encode_cursor, make_window, page_info
from schema.policies import Policy
from schema.sources import Source

SearchResult = Annotated[
    Event | Policy | Actor | Source,
    strawberry.union("SearchResult", description="Anything `search` can find."),
]
_KINDS: dict[str, tuple[str, Any]] = {
    "Event": ("event", Event),
    "Policy": ("policy", Policy),
    "Actor": ("actor", Actor),
    "Source": ("source", Source),
}


@strawberry.type(description="One search hit, with its rank and a highlighted snippet.")
class SearchEdge:
    keys: strawberry.Private[tuple[Any, ...]]

    rank: float = strawberry.field(
        description="Relevance: full-text rank for documents, name similarity for actors; higher is better."
    )
    snippet: str = strawberry.field(description="The matching text, matched words wrapped in <mark></mark>.")
    node: SearchResult = strawberry.field(description="The record found.")

    @strawberry.field(description="Pass as `after` to page from here.")
    def cursor(self) -> str:
        return encode_cursor(SEARCH_ORDERING, self.keys)


@strawberry.type(description="A page of search hits, most relevant first.")
class SearchConnection:
    edges: list[SearchEdge] = strawberry.field(description="The hits of this page.")
    page_info: PageInfo = strawberry.field(description="Whether more pages exist, and their cursors.")
    text: strawberry.Private[str]

    @strawberry.field(description="How many hits in all.")
    async def total_count(self, info: Info) -> int:
        # Counting the whole union is a second query: run it only when asked for.
        sql = search_sql(self.text)
        return int(await info.context.pool.fetchval(sql.count_sql(), *sql.params))

    @strawberry.field(description="The records of this page, without ranks or cursors.")
    def nodes(self) -> list[SearchResult]:
        return [edge.node for edge in self.edges]


async def search(
    info: Info,
    query: Annotated[
        str,
        strawberry.argument(
            description='What to find: words (stemmed), "quoted phrases", -excluded words; '
            "names match in English or Chinese, and by slug or alias."
        ),
    ],
    first: First = None,
    after: After = None,
) -> SearchConnection:
    text = query.strip()
    if not text:
        raise BadRequest("search query must not be empty")
    # Its length is held to `max_search_chars` with every other input (schema/cost.py).
    window = make_window(SEARCH_ORDERING, first, after, None, None)
    pool = info.context.pool
    page = await fetch_page(pool, search_sql(text), SEARCH_ORDERING, window)
    found = await asyncio.gather(
        *(info.context.loaders.by_id[_KINDS[row["kind"]][0]].load(row["id"]) for row in page.rows)
    )
    edges = [
        SearchEdge(
            keys=keys,
            rank=round(row["rank"], 6),
            snippet=row["snippet"],
            node=_KINDS[row["kind"]][1].from_row(record),
        )
        for row, keys, record in zip(page.rows, page.keys, found, strict=True)
    ]
    return SearchConnection(edges=edges, page_info=page_info(window, page, SEARCH_ORDERING), text=text)
