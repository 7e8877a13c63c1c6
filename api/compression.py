"""Content codings (RFC 9110 §8.4, §12.5.3): brotli or gzip for text answers above a size.

`negotiate` picks the coding an Accept-Encoding header allows (brotli first, then gzip, by the
client's q-values); `encode` applies it. A coded answer is another representation of the same
resource, so it gets its own strong ETag (`"<tag>-br"`, `"<tag>-gzip"`, §8.8.3) and every answer
that could have been coded says `Vary: Accept-Encoding`. The GraphQL endpoint codes its own
answers (and keeps coded copies in its response cache); `CompressionMiddleware` codes the rest
(pages, static files), keeping coded copies of answers marked immutable.
"""

from __future__ import annotations

import gzip
from typing import Protocol

import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.negotiation import weighted
from schema.bounded import BoundedCache

# Measured (bench/COMPRESSION.md), on the 13.7 KB answer: brotli 5 is about 6% smaller than
# gzip 6 for about 1.5 times its CPU (both well under a millisecond); brotli 1 is fast but larger.
BROTLI_QUALITY = 5
GZIP_LEVEL = 6
CODINGS = ("br", "gzip")
_TEXT_TYPES = ("text/", "application/json", "application/graphql-response+json", "image/svg+xml")
_IMMUTABLE_CACHE_ENTRIES = 256
_IMMUTABLE_CACHE_BYTES = 16 * 2**20


def negotiate(accept_encoding: str | None) -> str | None:
    """The coding to use for a header value, or None for the identity (no header, `identity`,
    or only codings we do not have). Ties go to brotli."""
    if not accept_encoding:
        return None
    weights = dict(weighted(accept_encoding, 32))
    star = weights.get("*", 0.0)
    best, best_quality = None, 0.0
    for coding in CODINGS:
        quality = weights.get(coding, star)
        if quality > best_quality:
            best, best_quality = coding, quality
    return best


def is_text(content_type: str | None) -> bool:
    return content_type is not None and content_type.lower().startswith(_TEXT_TYPES)


def encode(body: bytes, coding: str) -> bytes:
    if coding == "br":
        return bytes(brotli.compress(body, quality=BROTLI_QUALITY))
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def coded_etag(etag: str, coding: str | None) -> str:
    """The ETag of the coded representation: `"abc"` -> `"abc-gzip"` (weak stays weak)."""
    if coding is None or not etag.endswith('"'):
        return etag
    return f'{etag[:-1]}-{coding}"'


class _Headers(Protocol):
    def get(self, key: str, default: str) -> str: ...
    def __setitem__(self, key: str, value: str) -> None: ...


def add_vary(headers: _Headers, name: str) -> None:
    present = [v.strip().lower() for v in headers.get("vary", "").split(",") if v.strip()]
    if name not in present:
        headers["vary"] = ", ".join([*present, name])


def _held_coded_tags(if_none_match: str | None, coding: str | None) -> list[str]:
    """The tags in If-None-Match of representations coded with `coding`."""
    if not if_none_match or coding is None:
        return []
    tags = (t.strip().removeprefix("W/") for t in if_none_match.split(",")[:50])
    return [t for t in tags if t.endswith(f'-{coding}"')]


class CompressionMiddleware:
    """Codes single-message text answers of at least `minimum_bytes` that are not coded yet."""

    def __init__(self, app: ASGIApp, minimum_bytes: int) -> None:
        self.app = app
        self.minimum_bytes = minimum_bytes
        # Static files are immutable: code each once (bounded; keyed by the URL path).
        self._immutable: BoundedCache[tuple[str, str], bytes] = BoundedCache(
            _IMMUTABLE_CACHE_ENTRIES, _IMMUTABLE_CACHE_BYTES
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        coding = negotiate(request_headers.get("accept-encoding"))
        held = _held_coded_tags(request_headers.get("if-none-match"), coding)
        if held:
            # A client holding our coded representation's tag also holds the identity one's:
            # routes that validate before this middleware codes see both.
            scope = {**scope, "headers": [*scope["headers"]]}
            raw = [(k, v) for k, v in scope["headers"] if k != b"if-none-match"]
            tags = request_headers.get("if-none-match", "")
            identity = [t[: -len(f'-{coding}"')] + '"' for t in held]
            scope["headers"] = [*raw, (b"if-none-match", ", ".join([tags, *identity]).encode("latin-1"))]
        start: Message | None = None

        async def send_coded(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            first, start = start, None
            headers = MutableHeaders(raw=first["headers"])
            if (
                first["status"] == 304
                and coding is not None
                and coded_etag(headers.get("etag", ""), coding) in held
            ):
                headers["etag"] = coded_etag(headers["etag"], coding)  # the representation it holds
            body: bytes = message.get("body", b"")
            eligible = (
                not message.get("more_body", False)
                and "content-encoding" not in headers
                and first["status"] not in (204, 206, 304)
                and is_text(headers.get("content-type"))
                and len(body) >= self.minimum_bytes
            )
            if eligible:
                add_vary(headers, "accept-encoding")
                if coding is not None:
                    immutable = "immutable" in headers.get("cache-control", "")
                    body = self._encode(scope["path"], body, coding, immutable)
                    headers["content-encoding"] = coding
                    headers["content-length"] = str(len(body))
                    if "etag" in headers:
                        headers["etag"] = coded_etag(headers["etag"], coding)
                    message = {**message, "body": body}
            await send(first)
            await send(message)

        await self.app(scope, receive, send_coded)

    def _encode(self, path: str, body: bytes, coding: str, immutable: bool) -> bytes:
        if not immutable:
            return encode(body, coding)
        cached = self._immutable.get((path, coding))
        if cached is None:
            cached = encode(body, coding)
            self._immutable.put((path, coding), cached, len(cached) + len(path))
        return cached
