"""Applies `db/migrations/NNNN_name.sql` in order, each in its own transaction, once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

_CREATE_LEDGER = """
create table if not exists schema_migration (
    version    text primary key,
    file_name  text not null,
    applied_at timestamptz not null default now()
)
"""


class MigrationError(Exception):
    """A migration file failed; nothing of it was applied."""

    def __init__(self, file_name: str, reason: str) -> None:
        super().__init__(f"migration {file_name} failed: {reason}")
        self.file_name = file_name
        self.reason = reason


@dataclass(frozen=True)
class Migration:
    version: str
    path: Path


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in order; a badly named .sql file is an error, not silently skipped."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(path.name, "file name must look like NNNN_name.sql")
        migrations.append(Migration(version=match.group(1), path=path))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(directory.name, "two migration files share a version number")
    return migrations


async def migrate(conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; returns the file names applied (empty when up to date)."""
    # An advisory lock keeps two processes starting at once from applying the same file twice.
    await conn.execute("select pg_advisory_lock(hashtext('detente.migrate'))")
    try:
        await conn.execute(_CREATE_LEDGER)
        applied = {r["version"] for r in await conn.fetch("select version from schema_migration")}
        done: list[str] = []
        for migration in discover(directory):
            if migration.version in applied:
                continue
            sql = migration.path.read_text(encoding="utf-8")
            try:
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute(
                        "insert into schema_migration (version, file_name) values ($1, $2)",
                        migration.version,
                        migration.path.name,
                    )
            except asyncpg.PostgresError as exc:
                raise MigrationError(migration.path.name, str(exc)) from exc
            done.append(migration.path.name)
        return done
    finally:
        await conn.execute("select pg_advisory_unlock(hashtext('detente.migrate'))")
