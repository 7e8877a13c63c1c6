"""uvicorn as the service runs it: no `server` header, idle connections closed, and an HTTP
protocol that holds slow and flooding clients to their limits.

uvicorn bounds neither the time a client takes to send its headers nor their size (httptools
keeps appending the request line), and its `limit_concurrency` answers in plain text; the
protocol below adds the three guards at the connection, where a slow client costs nothing but
a timer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api import metrics
from api.settings import Settings

_REASONS = {
    400: b"Bad Request",
    408: b"Request Timeout",
    431: b"Request Header Fields Too Large",
    503: b"Service Unavailable",
}


def _canned(status: int, code: str, message: str) -> bytes:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    return b"".join(
        [
            b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status]),
            b"content-type: application/json; charset=utf-8\r\n",
            b"content-length: %d\r\n" % len(body),
            b"x-content-type-options: nosniff\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
    )


@dataclass(frozen=True)
class ConnectionLimits:
    """What the protocol holds each connection to; carried on uvicorn's Config, which worker
    processes receive pickled."""

    header_timeout_s: float
    max_header_bytes: int
    max_connections: int


class GuardedProtocol(HttpToolsProtocol):
    """httptools' protocol with a header deadline, a header size limit and a connection cap."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        limits: ConnectionLimits = config.connection_limits  # type: ignore[attr-defined]
        self.header_timeout_s = limits.header_timeout_s
        self.max_header_bytes = limits.max_header_bytes
        self.max_connections = limits.max_connections

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_bytes = 0
        self._awaiting_headers = True
        self._header_timer: asyncio.TimerHandle | None = None
        if len(self.connections) > self.max_connections:
            self._refuse(503, "SERVICE_OVERLOADED", "Too many open connections; try again shortly.")
            return
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _refuse(self, status: int, code: str, message: str) -> None:
        self._disarm_header_timer()
        metrics.ERRORS.labels(code).inc()
        if not self.transport.is_closing():
            self.transport.write(_canned(status, code, message))
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """An unparsable request gets JSON like every other answer (uvicorn's is plain text)."""
        self._refuse(400, "BAD_REQUEST", msg)

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self._awaiting_headers:
            self._refuse(
                408,
                "REQUEST_TIMEOUT",
                f"The request headers did not arrive within {self.header_timeout_s:g} s.",
            )

    def data_received(self, data: bytes) -> None:
        # Counted across reads while the headers are incomplete; a read that completes them
        # (and carries the start of a body) clears the count.
        if self._awaiting_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._awaiting_headers and self._header_bytes > self.max_header_bytes:
            self._refuse(
                431,
                "HEADERS_TOO_LARGE",
                f"The request line and headers exceed {self.max_header_bytes} bytes.",
            )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_headers = True
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._header_bytes = 0
        self._disarm_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)


def server_config(app: Any, settings: Settings, host: str, port: int, **options: Any) -> uvicorn.Config:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
        # uvicorn would take X-Forwarded-For from any loopback peer: the client address is read
        # by api/ratelimit.py, from TRUSTED_PROXIES only.
        proxy_headers=False,
        timeout_keep_alive=settings.keepalive_timeout_s,
        http=GuardedProtocol,
        **options,
    )
    config.connection_limits = ConnectionLimits(  # type: ignore[attr-defined]
        settings.header_timeout_s, settings.max_header_bytes, settings.max_connections
    )
    return config
