"""The Release type: which version of the dataset is loaded, and how to cite it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

CITATION = (
    "Détente: US–China relations in AI, a cited dataset, release {version} ({date}). Licensed CC BY 4.0."
)


@strawberry.type(description="How many rows of one kind the release holds.")
class RowCount:
    kind: str = strawberry.field(description="The kind of record: event, policy, actor…")
    count: int = strawberry.field(description="How many the release holds.")


@strawberry.type(description="The data release that is loaded: its version, licence and size.")
class Release:
    version: str = strawberry.field(description="Semantic version of the dataset.")
    date: dt.date = strawberry.field(description="The day the release was cut.")
    notes: str = strawberry.field(description="What the release contains or changed.")
    license: str = strawberry.field(description="The data licence (SPDX identifier).")
    citation: str = strawberry.field(description="How to cite this release.")
    loaded_at: dt.datetime = strawberry.field(description="When this service loaded it.")
    content_hash: str = strawberry.field(
        description="SHA-256 of the seed files; changes whenever the data does."
    )
    row_counts: list[RowCount] = strawberry.field(description="Rows per kind of record.")
    coverage_ends: dt.date | None = strawberry.field(
        description="The latest day the release's sources reach: later events are not covered yet."
    )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Release:
        return cls(
            version=row["version"],
            date=row["released_on"],
            notes=row["notes"],
            license=row["license"],
            citation=CITATION.format(version=row["version"], date=row["released_on"].isoformat()),
            loaded_at=row["loaded_at"],
            content_hash=row["content_hash"],
            row_counts=[RowCount(kind=k, count=v) for k, v in sorted(row["row_counts"].items())],
            coverage_ends=row["coverage_ends"],
        )
