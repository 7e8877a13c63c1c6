"""SQL over actors: states, bodies, companies, people."""

from __future__ import annotations

from dataclasses import dataclass

from db.columns import COLUMNS
from db.paging import Ordering, Sql
from db.tables import Reference, Table, key

ACTORS = Table(
    name="actor",
    alias="a",
    columns=COLUMNS["actor"],
    orderings={
        "NAME_ASC": Ordering("NAME_ASC", (key("a", "name", "text"), key("a", "id", "bigint"))),
        "NAME_DESC": Ordering("NAME_DESC", (key("a", "name", "text", True), key("a", "id", "bigint", True))),
    },
    default_ordering="NAME_ASC",
    references={"parent_id": Reference("parent", "actor")},
)


@dataclass(frozen=True)
class ActorFilter:
    kinds: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    search: str | None = None


def actors_sql(f: ActorFilter | None = None, joins: str = "") -> Sql:
    sql = ACTORS.sql(joins)
    if f is None:
        return sql
    if f.kinds:
        sql.filter(f"a.kind = any({sql.param(list(f.kinds), 'text[]')})")
    if f.countries:
        sql.filter(f"a.country = any({sql.param(list(f.countries), 'text[]')})")
    if f.search:
        pattern = sql.param(f"%{escape_like(f.search)}%")
        sql.filter(
            f"a.name ilike {pattern} or a.name_zh ilike {pattern} or a.slug ilike {pattern} "
            f"or array_to_string(a.aliases, ' ') ilike {pattern} "
            f"or a.search @@ websearch_to_tsquery('english', {sql.param(f.search)})"
        )
    return sql


def actors_with_role_sql() -> Sql:
    """Actors through event_actor (alias `ea`), each with its role in the event."""
    sql = ACTORS.sql("join event_actor ea on ea.actor_id = a.id")
    sql.select += ", ea.role"
    return sql


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
