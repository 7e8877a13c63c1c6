"""The Relay Node interface: every entity has an opaque global ID and can be fetched by it."""

from __future__ import annotations

from typing import ClassVar, Self

import strawberry

from db.paging import Row
from schema.globalid import to_global_id
from schema.rows import Builder, row_builder


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global ID (Relay Node).")

    # The columns `global_id_of` reads.
    id_columns: ClassVar[tuple[str, ...]] = ("slug",)

    @classmethod
    def global_id_of(cls, row: Row) -> strawberry.ID:
        """The global ID of the record in `row`: `Type:slug`, base64."""
        return strawberry.ID(to_global_id(cls.__name__, row["slug"]))

    @classmethod
    def from_row(cls, row: Row) -> Self:
        """The object of this type for a row of its table, built from the type's fields
        (schema/rows.py), once per type."""
        build = _BUILDERS.get(cls)
        if build is None:
            build = _BUILDERS[cls] = row_builder(cls)
        made: Self = build(row)
        return made


_BUILDERS: dict[type, Builder] = {}
