"""SQL over policies: strategies, laws, rules, export controls, agreements."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from db.columns import COLUMNS
from db.paging import Ordering, SortKey, Sql
from db.tables import Reference, Table, key

# Policies with no known announcement day sort as the oldest.
_ANNOUNCED = "coalesce(p.announced_on, date '0001-01-01')"
# The stated end of a suspension or expiry has passed and no source after it confirms the status:
# computed per request, because a record that is fine today lapses tomorrow without a reload.
_STATUS_UNCONFIRMED = (
    "(p.status_until is not null and p.status_until < current_date"
    " and (p.status_as_of is null or p.status_as_of < p.status_until)) as status_unconfirmed"
)

POLICIES = Table(
    name="policy",
    alias="p",
    columns=(*COLUMNS["policy"], _STATUS_UNCONFIRMED),
    orderings={
        "ANNOUNCED_DESC": Ordering(
            "ANNOUNCED_DESC",
            (SortKey(_ANNOUNCED, "date", True), key("p", "id", "bigint", True)),
        ),
        "ANNOUNCED_ASC": Ordering("ANNOUNCED_ASC", (SortKey(_ANNOUNCED, "date"), key("p", "id", "bigint"))),
        "TITLE_ASC": Ordering("TITLE_ASC", (key("p", "title", "text"), key("p", "id", "bigint"))),
    },
    default_ordering="ANNOUNCED_DESC",
    references={"issuer_id": Reference("issuer", "actor")},
)


@dataclass(frozen=True)
class PolicyFilter:
    announced_from: dt.date | None = None
    announced_to: dt.date | None = None
    instruments: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    stances: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    issuer_slugs: tuple[str, ...] = ()
    issuer_countries: tuple[str, ...] = ()
    topic_slugs: tuple[str, ...] = ()
    search: str | None = None


def policies_sql(f: PolicyFilter | None = None, joins: str = "") -> Sql:
    sql = POLICIES.sql(joins)
    if f is None:
        return sql
    if f.announced_from is not None:
        sql.filter(f"p.announced_on >= {sql.param(f.announced_from)}")
    if f.announced_to is not None:
        sql.filter(f"p.announced_on <= {sql.param(f.announced_to)}")
    for column, values in (
        ("instrument", f.instruments),
        ("status", f.statuses),
        ("stance", f.stances),
        ("jurisdiction", f.jurisdictions),
    ):
        if values:
            sql.filter(f"p.{column} = any({sql.param(list(values), 'text[]')})")
    if f.issuer_slugs or f.issuer_countries:
        conditions = ["xa.id = p.issuer_id"]
        if f.issuer_slugs:
            conditions.append(f"xa.slug = any({sql.param(list(f.issuer_slugs), 'text[]')})")
        if f.issuer_countries:
            conditions.append(f"xa.country = any({sql.param(list(f.issuer_countries), 'text[]')})")
        sql.filter(f"exists (select 1 from actor xa where {' and '.join(conditions)})")
    if f.topic_slugs:
        sql.filter(
            "exists (select 1 from policy_topic x join topic xt on xt.id = x.topic_id "
            f"where x.policy_id = p.id and xt.slug = any({sql.param(list(f.topic_slugs), 'text[]')}))"
        )
    if f.search:
        sql.filter(f"p.search @@ websearch_to_tsquery('english', {sql.param(f.search)})")
    return sql
