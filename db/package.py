"""The dataset as tables for files: one query per entity and link table, references by slug,
rows in a fixed order (so the files are the same bytes for the same release)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from db.entities import ENTITIES
from db.tables import Table


@dataclass(frozen=True)
class PackageTable:
    """One CSV of the package: the query that reads it (rows in a fixed order), its columns in
    order, the columns that hold another record's slug (column -> that record's table), and the
    columns that identify a row."""

    sql: str
    columns: tuple[str, ...]
    references: dict[str, str]
    primary_key: tuple[str, ...]


# System columns (the id) and computed ones (`(select …) as name`) stay out of the files.
_OWN = "id"


def _entity_table(table: Table) -> PackageTable:
    """An entity's CSV, derived from its table (db/entities.py): every column but the id, in the
    table's order, a reference as the referenced record's slug, ordered by the natural key."""
    selects, joins, names, expressions = [], [], [], {}
    for i, column in enumerate(table.columns):
        if column == _OWN or " " in column:
            continue
        reference = table.references.get(column)
        if reference is None:
            expression, name = f"{table.alias}.{column}", column
        else:
            alias = f"r{i}"
            joins.append(f"left join {reference.table} {alias} on {alias}.id = {table.alias}.{column}")
            expression, name = f"{alias}.slug", reference.name
        selects.append(expression if name == column else f"{expression} as {name}")
        names.append(name)
        expressions[name] = expression
    order = ", ".join(expressions[k] for k in table.natural_key)
    sql = f"select {', '.join(selects)} from {table.name} {table.alias} {' '.join(joins)} order by {order}"
    references = {r.name: r.table for r in table.references.values()}
    return PackageTable(" ".join(sql.split()), tuple(names), references, table.natural_key)


# table name in the package -> its CSV. Columns are named as in the tables; references to other
# records are their slugs.
TABLES: dict[str, PackageTable] = {e.kind: _entity_table(e.table) for e in ENTITIES}


def _link(table: str, left: str, right: str, extra: str = "") -> PackageTable:
    cols = f", l.{extra}" if extra else ""
    sql = (
        f"select x.slug as {left}, y.slug as {right}{cols} from {table} l "
        f"join {left} x on x.id = l.{left}_id join {right} y on y.id = l.{right}_id "
        f"order by x.slug, y.slug{cols}"
    )
    columns = (left, right, *([extra] if extra else []))
    return PackageTable(sql, columns, {left: left, right: right}, columns)


LINK_TABLES: dict[str, PackageTable] = {
    "event_actor": _link("event_actor", "event", "actor", "role"),
    "event_policy": _link("event_policy", "event", "policy"),
    "event_topic": _link("event_topic", "event", "topic"),
    "event_source": _link("event_source", "event", "source"),
    "policy_topic": _link("policy_topic", "policy", "topic"),
    "policy_source": _link("policy_source", "policy", "source"),
    "actor_source": _link("actor_source", "actor", "source"),
    "metric_source": _link("metric_source", "metric", "source"),
}

ALL_TABLES: dict[str, PackageTable] = {**TABLES, **LINK_TABLES}

BATCH_ROWS = 5000


async def table_rows(
    conn: asyncpg.Connection | PoolConnectionProxy, table: str
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The rows of a package table in batches (a cursor: memory stays bounded whatever the size);
    `conn` must be in a transaction."""
    cursor = await conn.cursor(ALL_TABLES[table].sql)
    while batch := await cursor.fetch(BATCH_ROWS):
        yield [tuple(r.values()) for r in batch]


async def release_for_package(conn: asyncpg.Connection | PoolConnectionProxy) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "select version, released_on, notes, license, content_hash, changelog "
        "from release order by loaded_at desc, id desc limit 1"
    )
    return dict(row.items()) if row else None
