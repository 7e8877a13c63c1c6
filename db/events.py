"""SQL over events and what links them to actors, policies, topics and sources."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from db.paging import Ordering, Sql
from db.tables import Table, key

_ID = key("e", "id", "bigint")
_ID_DESC = key("e", "id", "bigint", descending=True)

EVENTS = Table(
    name="event",
    alias="e",
    columns=(
        "id",
        "slug",
        "title",
        "summary",
        "date",
        "date_precision",
        "end_date",
        "end_date_precision",
        "category",
        "stance",
        "cooperation_score",
        "score_rationale",
        "significance",
        "confidence",
        "confidence_note",
    ),
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
)


@dataclass(frozen=True)
class EventFilter:
    """Conditions on events; every field narrows the result (they combine with AND)."""

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


def apply_event_filter(sql: Sql, f: EventFilter | None) -> None:
    if f is None:
        return
    if f.date_from is not None:
        sql.filter(f"coalesce(e.end_date, e.date) >= {sql.param(f.date_from)}")
    if f.date_to is not None:
        sql.filter(f"e.date <= {sql.param(f.date_to)}")
    if f.categories:
        sql.filter(f"e.category = any({sql.param(list(f.categories), 'text[]')})")
    if f.stances:
        sql.filter(f"e.stance = any({sql.param(list(f.stances), 'text[]')})")
    if f.precisions:
        sql.filter(f"e.date_precision = any({sql.param(list(f.precisions), 'text[]')})")
    if f.score_min is not None:
        sql.filter(f"e.cooperation_score >= {sql.param(f.score_min)}")
    if f.score_max is not None:
        sql.filter(f"e.cooperation_score <= {sql.param(f.score_max)}")
    if f.significance_min is not None:
        sql.filter(f"e.significance >= {sql.param(f.significance_min)}")
    if f.significance_max is not None:
        sql.filter(f"e.significance <= {sql.param(f.significance_max)}")
    if f.actor_slugs or f.actor_roles or f.actor_countries:
        conditions = ["x.event_id = e.id"]
        if f.actor_slugs:
            conditions.append(f"xa.slug = any({sql.param(list(f.actor_slugs), 'text[]')})")
        if f.actor_roles:
            conditions.append(f"x.role = any({sql.param(list(f.actor_roles), 'text[]')})")
        if f.actor_countries:
            conditions.append(f"xa.country = any({sql.param(list(f.actor_countries), 'text[]')})")
        sql.filter(
            "exists (select 1 from event_actor x join actor xa on xa.id = x.actor_id "
            f"where {' and '.join(conditions)})"
        )
    if f.between_us_and_china is not None:
        both = " and ".join(
            "exists (select 1 from event_actor x join actor xa on xa.id = x.actor_id "
            f"where x.event_id = e.id and xa.country = '{c}')"
            for c in ("US", "CN")
        )
        sql.filter(both if f.between_us_and_china else f"not ({both})")
    if f.topic_slugs:
        sql.filter(
            "exists (select 1 from event_topic x join topic xt on xt.id = x.topic_id "
            f"where x.event_id = e.id and xt.slug = any({sql.param(list(f.topic_slugs), 'text[]')}))"
        )
    if f.policy_slugs:
        sql.filter(
            "exists (select 1 from event_policy x join policy xp on xp.id = x.policy_id "
            f"where x.event_id = e.id and xp.slug = any({sql.param(list(f.policy_slugs), 'text[]')}))"
        )
    if f.search:
        sql.filter(f"e.search @@ websearch_to_tsquery('english', {sql.param(f.search)})")


def events_sql(f: EventFilter | None = None, joins: str = "") -> Sql:
    sql = EVENTS.sql(joins)
    apply_event_filter(sql, f)
    return sql


def events_with_role_sql(f: EventFilter | None = None) -> Sql:
    """Events through event_actor (alias `ea`), each with the actor's role."""
    sql = events_sql(f, "join event_actor ea on ea.event_id = e.id")
    sql.select += ", ea.role"
    return sql
