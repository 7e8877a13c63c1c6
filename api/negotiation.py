"""Reading Accept-style headers (`Accept`, `Accept-Encoding`): each listed value with its q-value,
the one parser the media-type and content-coding choices share."""

from __future__ import annotations


def weighted(header: str, limit: int) -> list[tuple[str, float]]:
    """The header's values, lowercased, each with its quality (1 when not given, 0 when not a
    number), in the header's order; at most `limit` of them, so a huge header costs little."""
    found = []
    for part in header.split(",")[:limit]:
        value, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            if param.lower().startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        found.append((value.lower(), quality))
    return found
