"""Pure ASGI middleware: request ids, security headers, a bound on requests in flight, a JSON
answer for any failure, and one access-log line per response."""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import time

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import metrics
from schema.errors import INTERNAL, MASKED_MESSAGE

logger = logging.getLogger("detente.access")
REQUEST_ID_HEADER = b"x-request-id"
_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff")]
# Set here for every answer; a route's own copy (or uvicorn's server name) is dropped.
_PROBES = frozenset({"/health", "/ready"})
_REPLACED_HEADERS = {b"server", b"x-content-type-options", REQUEST_ID_HEADER}


class _RequestIds:
    """Request ids unique across processes and cheap to make: a random prefix per process
    (made again in a forked child) and a counter (uuid4 cost 2% of a lookup's CPU)."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix = secrets.token_hex(8)
        self.counter = itertools.count(1)

    def next(self) -> str:
        return f"{self.prefix}{next(self.counter):016x}"


_REQUEST_IDS = _RequestIds()


def request_id(request: Request) -> str:
    """The id RequestIdMiddleware gave the request ("-" outside it)."""
    return str(request.scope.get("state", {}).get("request_id", "-"))


async def send_json_error(send: Send, status: int, code: str, message: str, request_id: str) -> None:
    metrics.ERRORS.labels(code).inc()
    body = orjson.dumps(
        {"errors": [{"message": message, "extensions": {"code": code, "requestId": request_id}}]}
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestIdMiddleware:
    """Takes the client's X-Request-ID when it is a sane token (else makes one) and sends it
    back on every answer with the security headers; bounds the requests being answered at
    once (503 beyond); turns any exception that escapes into a masked JSON 500; logs."""

    def __init__(self, app: ASGIApp, max_in_flight: int = 200) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER, b"")
        request_id = given.decode("ascii") if _SANE_REQUEST_ID.fullmatch(given) else _REQUEST_IDS.next()
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [
                    *[h for h in message.get("headers", []) if h[0].lower() not in _REPLACED_HEADERS],
                    (REQUEST_ID_HEADER, request_id.encode()),
                    *SECURITY_HEADERS,
                ]
            await send(message)

        try:
            # Probes stay answerable when the service is saturated: a busy process is alive.
            if self.in_flight >= self.max_in_flight and scope["path"] not in _PROBES:
                await send_json_error(
                    send_with_id,
                    503,
                    "SERVICE_OVERLOADED",
                    "The service is busy; try again shortly.",
                    request_id,
                )
                return
            self.in_flight += 1
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                self.in_flight -= 1
        except Exception:
            logger.exception("unhandled error", extra={"request_id": request_id, "path": scope["path"][:200]})
            if not response_started:
                await send_json_error(send_with_id, 500, INTERNAL, MASKED_MESSAGE, request_id)
        finally:
            metrics.observe_request(scope, status, time.perf_counter() - started)
            logger.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"][:200],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
