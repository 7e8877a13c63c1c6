"""The formats a REST answer comes in (JSON, CSV, NDJSON), chosen by extension or Accept, and
how rows are written in each."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from api.negotiation import weighted


@dataclass(frozen=True)
class Format:
    name: str  # the extension: /v1/events.csv
    media_type: str  # what Accept asks for
    content_type: str  # what the answer says it is


JSON = Format("json", "application/json", "application/json")
CSV = Format("csv", "text/csv", "text/csv; charset=utf-8; header=present")
NDJSON = Format("ndjson", "application/x-ndjson", "application/x-ndjson")
FORMATS = {f.name: f for f in (JSON, CSV, NDJSON)}
EXTENSIONS = "|".join(FORMATS)  # the path convertor's pattern


def negotiate(accept: str | None, offered: Sequence[Format]) -> Format | None:
    """The best of `offered` for an Accept header (the first offered for none, `*/*` or a
    wildcard); None when it accepts none of them."""
    if not accept:
        return offered[0]
    for media, quality in sorted(weighted(accept, 50), key=lambda r: -r[1]):  # stable: ties in order
        if quality <= 0:
            continue
        if media in ("*/*", "application/*"):
            return offered[0]
        for candidate in offered:
            if media == candidate.media_type or (media == "text/*" and candidate is CSV):
                return candidate
    return None


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return value


def csv_rows(rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows as CSV (RFC 4180: CRLF line ends, quoted where needed), empty cells for nulls."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue().encode()


def ndjson_rows(rows: Iterable[Any]) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)
