"""Opaque Relay global IDs: base64 of `Type:slug`, stable across deployments of the dataset."""

from __future__ import annotations

import base64
import binascii

from schema.entities import NODE_TYPES
from schema.errors import BadRequest
from schema.shown import shown


def to_global_id(type_name: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, str]:
    """(type name, key); a clear BadRequest for anything that is not one of our IDs."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        decoded = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise BadRequest(f"{shown(global_id)!r} is not a valid global ID") from None
    type_name, sep, key = decoded.partition(":")
    if not sep or type_name not in NODE_TYPES or not key:
        raise BadRequest(f"{shown(global_id)!r} is not a valid global ID")
    return type_name, key
