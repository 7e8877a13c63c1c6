"""Search across kinds: events, policies and sources by weighted full-text rank (English
stemming, web-search syntax), actors by name, Chinese name, slug or alias (trigram similarity
and substring), merged into one ranked list with keyset paging."""

from __future__ import annotations

from db.actors import escape_like
from db.paging import Ordering, SortKey, Sql

SEARCH_ORDERING = Ordering(
    "RELEVANCE",
    (SortKey("h.rank", "float8", True), SortKey("h.kind", "text"), SortKey("h.id", "bigint")),
)
_HIGHLIGHT = "StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=10, MaxFragments=2"


def search_sql(text: str) -> Sql:
    """All hits for `text` as rows (kind, id, rank, snippet) under the alias `h`."""
    sql = Sql(select="h.kind, h.id, h.rank, h.snippet", from_="")
    query = sql.param(text)
    like = sql.param(f"%{escape_like(text)}%")
    highlight = sql.param(_HIGHLIGHT)

    def documents(kind: str, table: str, alias: str, body: str) -> str:
        return (
            f"select '{kind}' as kind, {alias}.id, ts_rank_cd({alias}.search, q)::float8 as rank, "
            f"ts_headline('english', {body}, q, {highlight}) as snippet "
            f"from {table} {alias}, websearch_to_tsquery('english', {query}) q "
            f"where {alias}.search @@ q"
        )

    actors = (
        "select 'Actor' as kind, a.id, "
        f"(greatest(similarity(a.name, {query}), similarity(coalesce(a.name_zh, ''), {query}), "
        f"similarity(a.slug, {query})) "
        f"+ case when a.name ilike {like} or a.name_zh ilike {like} or a.slug ilike {like} "
        f"or array_to_string(a.aliases, ' ') ilike {like} then 1 else 0 end)::float8 as rank, "
        "a.name || coalesce(' (' || a.name_zh || ')', '') as snippet "
        "from actor a "
        f"where a.name % {query} or a.name ilike {like} or a.name_zh ilike {like} "
        f"or a.slug ilike {like} or array_to_string(a.aliases, ' ') ilike {like} "
        f"or a.search @@ websearch_to_tsquery('english', {query})"
    )
    union = " union all ".join(
        [
            documents("Event", "event", "e", "e.title || ' — ' || e.summary"),
            documents("Policy", "policy", "p", "p.title || ' — ' || p.summary"),
            actors,
            documents("Source", "source", "s", "s.title || ' — ' || s.publisher"),
        ]
    )
    sql.from_ = f"({union}) h"
    return sql
