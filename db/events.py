"""SQL over events and what links them to actors, policies, topics and sources."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from db.columns import COLUMNS
from db.paging import Ordering, Sql
from db.tables import Reference, Table, key

_ID = key("e", "id", "bigint")
_ID_DESC = key("e", "id", "bigint", descending=True)

EVENTS = Table(
    name="event",
    alias="e",
    columns=COLUMNS["event"],
    orderings={
        "DATE_DESC": Ordering("DATE_DESC", (key("e", "date", "date", True), _ID_DESC)),
        "DATE_ASC": Ordering("DATE_ASC", (key("e", "date", "date"), _ID)),
        "TITLE_ASC": Ordering("TITLE_ASC", (key("e", "title", "text"), _ID)),
        "SIGNIFICANCE_DESC": Ordering(
            "SIGNIFICANCE_DESC",
            (key("e", "significance", "smallint", True), key("e", "date", "date", True), _ID_DESC),
        ),
        "COOPERATION_SCORE_ASC": Ordering(
            "COOPERATION_SCORE_ASC",
            (key("e", "cooperation_score", "smallint"), key("e", "date", "date"), _ID),
        ),
        "COOPERATION_SCORE_DESC": Ordering(
            "COOPERATION_SCORE_DESC",
            (key("e", "cooperation_score", "smallint", True), key("e", "date", "date", True), _ID_DESC),
        ),
    },
    default_ordering="DATE_DESC",
    references={"implements_event_id": Reference("implements", "event")},
)


@dataclass(frozen=True)
class EventFilter:
    """Conditions on events; every field narrows the result (they combine with AND).

    `all_of`, `any_of` and `none_of` nest filters: every one, at least one, none of them.
    """

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    categories: tuple[str, ...] = ()
    stances: tuple[str, ...] = ()
    precisions: tuple[str, ...] = ()
    score_min: int | None = None
    score_max: int | None = None
    significance_min: int | None = None
    significance_max: int | None = None
    actor_slugs: tuple[str, ...] = ()
    actor_roles: tuple[str, ...] = ()
    actor_countries: tuple[str, ...] = ()
    between_us_and_china: bool | None = None
    topic_slugs: tuple[str, ...] = ()
    policy_slugs: tuple[str, ...] = ()
    search: str | None = None
    counted_in_index: bool | None = None
    all_of: tuple[EventFilter, ...] = ()
    any_of: tuple[EventFilter, ...] = ()
    none_of: tuple[EventFilter, ...] = ()


def _in(sql: Sql, expression: str, values: tuple[str, ...]) -> str:
    return f"{expression} = any({sql.param(list(values), 'text[]')})"


def event_conditions(sql: Sql, f: EventFilter) -> list[str]:
    """The filter as SQL conditions over `e` (to be AND-ed), parameters added to `sql`."""
    c: list[str] = []
    if f.date_from is not None:
        c.append(f"coalesce(e.end_date, e.date) >= {sql.param(f.date_from)}")
    if f.date_to is not None:
        c.append(f"e.date <= {sql.param(f.date_to)}")
    if f.categories:
        c.append(_in(sql, "e.category", f.categories))
    if f.stances:
        c.append(_in(sql, "e.stance", f.stances))
    if f.precisions:
        c.append(_in(sql, "e.date_precision", f.precisions))
    for expression, op, value in (
        ("e.cooperation_score", ">=", f.score_min),
        ("e.cooperation_score", "<=", f.score_max),
        ("e.significance", ">=", f.significance_min),
        ("e.significance", "<=", f.significance_max),
    ):
        if value is not None:
            c.append(f"{expression} {op} {sql.param(value)}")
    if f.actor_slugs or f.actor_roles or f.actor_countries:
        link = ["x.event_id = e.id"]
        if f.actor_slugs:
            link.append(_in(sql, "xa.slug", f.actor_slugs))
        if f.actor_roles:
            link.append(_in(sql, "x.role", f.actor_roles))
        if f.actor_countries:
            link.append(_in(sql, "xa.country", f.actor_countries))
        c.append(
            "exists (select 1 from event_actor x join actor xa on xa.id = x.actor_id "
            f"where {' and '.join(link)})"
        )
    if f.between_us_and_china is not None:
        both = " and ".join(
            "exists (select 1 from event_actor x join actor xa on xa.id = x.actor_id "
            f"where x.event_id = e.id and xa.country = '{country}')"
            for country in ("US", "CN")
        )
        c.append(both if f.between_us_and_china else f"not ({both})")
    if f.topic_slugs:
        c.append(
            "exists (select 1 from event_topic x join topic xt on xt.id = x.topic_id "
            f"where x.event_id = e.id and {_in(sql, 'xt.slug', f.topic_slugs)})"
        )
    if f.policy_slugs:
        c.append(
            "exists (select 1 from event_policy x join policy xp on xp.id = x.policy_id "
            f"where x.event_id = e.id and {_in(sql, 'xp.slug', f.policy_slugs)})"
        )
    if f.search:
        c.append(f"e.search @@ websearch_to_tsquery('english', {sql.param(f.search)})")
    if f.counted_in_index is not None:
        c.append("e.counted_in_index" if f.counted_in_index else "not e.counted_in_index")
    for sub in f.all_of:
        c.extend(event_conditions(sql, sub))
    if f.any_of:
        c.append(" or ".join(_conjunction(sql, sub) for sub in f.any_of))
    for sub in f.none_of:
        c.append(f"not {_conjunction(sql, sub)}")
    return c


def _conjunction(sql: Sql, f: EventFilter) -> str:
    conditions = event_conditions(sql, f)
    return "(" + " and ".join(f"({x})" for x in conditions) + ")" if conditions else "(true)"


def apply_event_filter(sql: Sql, f: EventFilter | None) -> None:
    if f is not None:
        for condition in event_conditions(sql, f):
            sql.filter(condition)


def events_sql(f: EventFilter | None = None, joins: str = "") -> Sql:
    sql = EVENTS.sql(joins)
    apply_event_filter(sql, f)
    return sql


def events_with_role_sql(f: EventFilter | None = None) -> Sql:
    """Events through event_actor (alias `ea`), each with the actor's role."""
    sql = events_sql(f, "join event_actor ea on ea.event_id = e.id")
    sql.select += ", ea.role"
    return sql
