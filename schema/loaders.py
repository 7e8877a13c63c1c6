"""Per-request DataLoaders: one per (entity, key) and one per relation, batching with `= any($1)`.

Built fresh for every request in `get_context`, so no cache is ever shared between users.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from strawberry.dataloader import DataLoader

from db.entities import ENTITIES
from db.paging import Page, Row, Window
from db.relations import RELATIONS, Relation, counts_for_parents, pages_for_parents
from db.tables import Table, rows_by_keys

PageKey = tuple[int, str | None, Window, Any]  # parent id, ordering, window, filter
CountKey = tuple[int, Any]  # parent id, filter


def _rows_loader(pool: asyncpg.Pool, table: Table, column: str, cast: str) -> DataLoader[Any, Row | None]:
    async def load(keys: Sequence[Any]) -> list[Row | None]:
        return await rows_by_keys(pool, table, column, keys, cast)

    return DataLoader(load_fn=load)


def _page_loader(pool: asyncpg.Pool, relation: Relation) -> DataLoader[PageKey, Page[Row]]:
    async def load(keys: Sequence[PageKey]) -> list[Page[Row]]:
        # Keys that share ordering, window and filter go in one statement.
        groups: dict[tuple[str | None, Window, Any], list[int]] = {}
        for parent, ordering, window, filter_ in keys:
            groups.setdefault((ordering, window, filter_), []).append(parent)
        results: dict[PageKey, Page[Row]] = {}
        for (ordering, window, filter_), parents in groups.items():
            pages = await pages_for_parents(pool, relation, parents, ordering, window, filter_)
            for parent, page in pages.items():
                results[(parent, ordering, window, filter_)] = page
        return [results[k] for k in keys]

    return DataLoader(load_fn=load)


def _count_loader(pool: asyncpg.Pool, relation: Relation) -> DataLoader[CountKey, int]:
    async def load(keys: Sequence[CountKey]) -> list[int]:
        groups: dict[Any, list[int]] = {}
        for parent, filter_ in keys:
            groups.setdefault(filter_, []).append(parent)
        results: dict[CountKey, int] = {}
        for filter_, parents in groups.items():
            counts = await counts_for_parents(pool, relation, parents, filter_)
            results.update({(p, filter_): n for p, n in counts.items()})
        return [results[k] for k in keys]

    return DataLoader(load_fn=load)


class _LazyLoaders(dict[str, Any]):
    """Builds a loader the first time a request asks for it (most requests use a few)."""

    def __init__(self, make: Any) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, key: str) -> Any:
        loader = self[key] = self._make(key)
        return loader


TABLES = {e.kind: e.table for e in ENTITIES}


class Loaders:
    """One DataLoader per (entity, key) and per relation, made on first use in a request."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.by_id: dict[str, DataLoader[int, Row | None]] = _LazyLoaders(
            lambda t: _rows_loader(pool, TABLES[t], "id", "bigint")
        )
        self.by_slug: dict[str, DataLoader[str, Row | None]] = _LazyLoaders(
            lambda t: _rows_loader(pool, TABLES[t], "slug", "text")
        )
        self.pages: dict[str, DataLoader[PageKey, Page[Row]]] = _LazyLoaders(
            lambda r: _page_loader(pool, RELATIONS[r])
        )
        self.counts: dict[str, DataLoader[CountKey, int]] = _LazyLoaders(
            lambda r: _count_loader(pool, RELATIONS[r])
        )

    async def page(
        self, relation: str, parent: int, ordering: str | None, window: Window, filter_: Any = None
    ) -> Page[Row]:
        return await self.pages[relation].load((parent, ordering, window, filter_))

    async def count(self, relation: str, parent: int, filter_: Any = None) -> int:
        return await self.counts[relation].load((parent, filter_))
