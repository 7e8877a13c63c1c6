"""Problem details (RFC 9457): how every REST error is answered, with the same stable codes as
GraphQL's `extensions.code` (README, "Error codes")."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from api.middleware import request_id

PROBLEM_JSON = "application/problem+json"


def problem(
    request: Request, status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """An error answer: `type` is `about:blank` (the status says what kind of problem), `code`
    the stable code, `requestId` the id to quote; `extra` adds members (`limit`, `parameters`…)."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "requestId": request_id(request),
        **extra,
    }
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers={"cache-control": "no-store", **(headers or {})},
    )


class Problem(Exception):
    """A REST error on its way to becoming a problem answer (`answer`)."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.headers = headers or {}
        self.extra = extra

    def answer(self, request: Request) -> Response:
        return problem(request, self.status, self.code, self.detail, self.headers, **self.extra)
