"""Client input as it may appear in an error message or a log line: short."""

from __future__ import annotations

SHOWN_CHARS = 80


def shown(value: str, limit: int = SHOWN_CHARS) -> str:
    """`value` cut to `limit` characters, saying how long it was: an error must not send a
    megabyte of the client's own input back to it, or into the log."""
    if len(value) <= limit:
        return value
    return f"{value[:limit]}… ({len(value)} characters)"
