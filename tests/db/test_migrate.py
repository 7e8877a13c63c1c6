"""Migrations: from empty, idempotent, and atomic per file."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from db.migrate import MIGRATIONS_DIR, MigrationError, discover, migrate


async def test_from_empty_then_nothing_to_do(empty_url: str) -> None:
    conn = await asyncpg.connect(empty_url)
    try:
        applied = await migrate(conn)
        assert applied == [m.path.name for m in discover(MIGRATIONS_DIR)]
        tables = {
            r["tablename"]
            for r in await conn.fetch("select tablename from pg_tables where schemaname = 'public'")
        }
        assert {
            "event",
            "policy",
            "actor",
            "metric",
            "observation",
            "source",
            "topic",
            "release",
            "event_actor",
            "schema_migration",
        } <= tables
        assert await migrate(conn) == []
    finally:
        await conn.close()


async def test_a_failing_migration_changes_nothing_and_names_the_file(empty_url: str, tmp_path: Path) -> None:
    (tmp_path / "0001_good.sql").write_text("create table kept (id int);")
    (tmp_path / "0002_bad.sql").write_text(
        "create table half_done (id int);\ninsert into no_such_table values (1);"
    )
    conn = await asyncpg.connect(empty_url)
    try:
        with pytest.raises(MigrationError) as failure:
            await migrate(conn, tmp_path)
        assert failure.value.file_name == "0002_bad.sql"
        assert "no_such_table" in str(failure.value)
        assert await conn.fetchval("select to_regclass('kept') is not null")
        assert await conn.fetchval("select to_regclass('half_done') is null")
        versions = [r["version"] for r in await conn.fetch("select version from schema_migration")]
        assert versions == ["0001"]
    finally:
        await conn.close()


def test_badly_named_migration_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "first.sql").write_text("select 1;")
    with pytest.raises(MigrationError, match=r"NNNN_name\.sql"):
        discover(tmp_path)
