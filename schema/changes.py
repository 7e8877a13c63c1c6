"""What changed between releases: per kind, the records added, changed and removed."""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated

import strawberry

from db import changes as db_changes
from db.release import latest_release
from schema.context import Info
from schema.errors import BadRequest
from schema.shown import shown

V = strawberry.enum_value
_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?")  # as the release table's check


@strawberry.enum(description="What a release did to a record.")
class ChangeType(Enum):
    ADDED = V("ADDED", description="The record is new since the release asked about.")
    CHANGED = V("CHANGED", description="The record existed then and some field or link of it changed.")
    REMOVED = V("REMOVED", description="The record is gone (a tombstone: delete it from a local copy).")


@strawberry.type(description="One record a later release added, changed or removed.")
class ChangedRecord:
    slug: str = strawberry.field(description="The record's slug (slugs never change).")
    release: str = strawberry.field(description="The last release that added, changed or removed it.")


@strawberry.type(description="The records of one kind that releases after `since` touched.")
class KindChanges:
    kind: str = strawberry.field(
        description="The kind of record: event, policy, actor, metric, source, topic."
    )
    added: list[ChangedRecord] = strawberry.field(description="Records new since then, by slug.")
    changed: list[ChangedRecord] = strawberry.field(description="Records changed since then, by slug.")
    removed: list[ChangedRecord] = strawberry.field(
        description="Records removed since then (tombstones), by slug."
    )


@strawberry.type(
    description="What the releases loaded after `since` did, net per record: a record added and "
    "then changed is added; one changed or added and then removed is removed."
)
class ReleaseChanges:
    since: str | None = strawberry.field(
        description="The release compared with; null: since the first load (everything is added)."
    )
    release: str | None = strawberry.field(description="The release loaded now; null before any load.")
    kinds: list[KindChanges] = strawberry.field(
        description="One entry per kind of record (event, policy, actor, metric, source, topic)."
    )


async def changes(
    info: Info,
    since: Annotated[
        str | None,
        strawberry.argument(
            description='A release version loaded before (e.g. "0.1.0"); the changes of every '
            "release loaded after it. Omitted: every change since the first load."
        ),
    ] = None,
) -> ReleaseChanges | None:
    if since is not None and not _VERSION.fullmatch(since):
        raise BadRequest(f"since must be a release version such as 0.1.0, got {shown(since)!r}")
    pool = info.context.pool
    try:
        records = await db_changes.changes_since(pool, since)
    except db_changes.UnknownRelease:
        return None
    current = await latest_release(pool)
    by_kind: dict[str, dict[str, list[ChangedRecord]]] = {
        kind: {"ADDED": [], "CHANGED": [], "REMOVED": []} for kind in db_changes.KINDS
    }
    for r in records:
        by_kind[r.kind][r.change].append(ChangedRecord(slug=r.slug, release=r.release))
    return ReleaseChanges(
        since=since,
        release=current["version"] if current else None,
        kinds=[
            KindChanges(kind=kind, added=lists["ADDED"], changed=lists["CHANGED"], removed=lists["REMOVED"])
            for kind, lists in by_kind.items()
        ],
    )
