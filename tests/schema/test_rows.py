"""Objects built from rows by their types' own fields (schema/rows.py): columns by name, enums
converted, lists copied, None kept, private link keys read from their to-one link's column; and
every node type builds from a real row of its table."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from db.entities import ENTITIES
from schema.actors import Actor
from schema.build import build_schema
from schema.entities import type_name
from schema.enums import ActorKind, DatePrecision
from schema.events import Event
from schema.globalid import to_global_id


def test_a_row_becomes_its_object_field_by_field() -> None:
    build_schema()
    row = {
        "id": 7,
        "slug": "cn-mofcom",
        "name": "Ministry of Commerce",
        "name_zh": "商务部",
        "kind": ActorKind.GOVERNMENT_BODY.value,
        "country": None,
        "parent_id": 3,
        "description": "China's trade ministry.",
        "aliases": ("MOFCOM",),
    }
    actor = Actor.from_row(row)
    assert actor.pk == 7 and actor.parent_pk == 3  # parent_pk: the `parent` link's column
    assert actor.id == to_global_id("Actor", "cn-mofcom")
    assert actor.kind is ActorKind.GOVERNMENT_BODY and actor.country is None
    assert actor.aliases == ["MOFCOM"] and isinstance(actor.aliases, list)


def test_a_link_key_comes_from_its_links_column_whatever_its_name() -> None:
    build_schema()
    event = Event.from_row(
        {
            "id": 1,
            "slug": "a",
            "title": "A",
            "summary": "",
            "date": dt.date(2025, 11, 4),
            "date_precision": "DAY",
            "end_date": None,
            "end_date_precision": None,
            "category": "TARIFF",
            "stance": "COOPERATIVE",
            "cooperation_score": 3,
            "score_rationale": "",
            "significance": 2,
            "confidence": "CONFIRMED",
            "confidence_note": None,
            "implements_event_id": 9,
            "counted_in_index": False,
        }
    )
    assert event.implements_pk == 9 and event.counted_in_index is False
    assert event.date_precision is DatePrecision.DAY and event.end_date_precision is None


async def test_every_node_type_builds_from_a_row_of_its_table(template_url: str) -> None:
    schema = build_schema()
    conn = await asyncpg.connect(template_url)
    try:
        for entity in ENTITIES:
            table = entity.table
            row = await conn.fetchrow(f"select {table.select} from {table.name} {table.alias} limit 1")
            assert row is not None, entity.kind
            node_type: Any = schema.get_type_by_name(type_name(entity)).origin  # type: ignore[union-attr]
            built = node_type.from_row(row)
            assert built.id, entity.kind
    finally:
        await conn.close()
