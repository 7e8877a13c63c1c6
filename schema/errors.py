"""Errors a client may see. Anything else is masked to a generic message and logged."""

from __future__ import annotations


class PublicError(Exception):
    """An error whose message is safe and useful to show to the client."""

    code = "BAD_REQUEST"


class BadRequest(PublicError):
    """The request asks for something malformed or out of range."""


class NotFound(PublicError):
    """The request names something that does not exist."""

    code = "NOT_FOUND"


MASKED_MESSAGE = "Internal server error. It has been logged; quote the request id when reporting it."
