"""db/columns.py is what the migrations create, by db/catalog.py's rule, as `make columns` writes it."""

from __future__ import annotations

import subprocess
import sys

import asyncpg

from db.catalog import COLUMNS_PATH, attributes, generate, render, table_columns
from db.columns import COLUMNS
from db.entities import ENTITIES

STALE = "db/columns.py is stale: run `make columns` and commit it"


async def test_committed_columns_are_what_the_migrations_create(empty_url: str) -> None:
    conn = await asyncpg.connect(empty_url)
    try:
        text = await generate(conn)
        derived = await table_columns(conn)
    finally:
        await conn.close()
    assert derived == COLUMNS, STALE
    assert text == COLUMNS_PATH.read_text(encoding="utf-8"), STALE


async def test_only_search_vectors_and_constraint_columns_are_left_out(empty_url: str) -> None:
    conn = await asyncpg.connect(empty_url)
    try:
        await generate(conn)
        left_out = {f"{a.table}.{a.name}" for a in await attributes(conn) if not a.selected}
    finally:
        await conn.close()
    assert left_out == {
        "event.search",
        "policy.search",
        "actor.search",
        "source.search",
        "event.implements_target",  # backs event_implements_one_level (migration 0006)
    }
    assert COLUMNS["event"][-2:] == ("implements_event_id", "counted_in_index")  # generated, read
    assert "schema_migration" not in COLUMNS


def test_the_module_is_as_ruff_formats_it() -> None:
    text = render({"b": ("id", "name"), "a": ()})
    assert text.index('"a": ()') < text.index('"b": (')
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--stdin-filename", str(COLUMNS_PATH), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_entity_table_selects_the_generated_columns_then_its_expressions() -> None:
    for entity in ENTITIES:
        columns = entity.table.columns
        generated = COLUMNS[entity.kind]
        assert columns[: len(generated)] == generated, entity.kind
        assert all(" " in c for c in columns[len(generated) :]), entity.kind  # `(…) as name` only
