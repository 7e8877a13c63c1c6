"""What every REST route does around its GraphQL documents: read the query string within its
limit, run a document on the engine (the executor, limits, deadline and rate limit /graphql has),
and turn what went wrong into a problem with the GraphQL error's code."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response

from api.database import DATABASE_ERRORS
from api.engine import RETRY_AFTER_S, UNAVAILABLE_MESSAGE, Engine
from api.middleware import request_id
from api.problems import Problem
from api.rest.parameters import ParameterError
from schema.errors import error_code

logger = logging.getLogger("detente.rest")
# The HTTP status of a GraphQL error's code; any other code of a request's mistake is a 400.
STATUS_OF_CODE = {"NOT_FOUND": 404, "INTERNAL_SERVER_ERROR": 500, "REQUEST_TIMEOUT": 504}


async def answered(request: Request, work: Callable[[], Awaitable[Response]]) -> Response:
    """What `work` answers, or the problem for what it raised: its Problem, a parameter refused
    (400 with the parameter's code), or a database that does not answer (503)."""
    try:
        return await work()
    except Problem as refused:
        return refused.answer(request)
    except ParameterError as error:
        return Problem(400, error.code, str(error), **error.extra).answer(request)
    except DATABASE_ERRORS as error:
        logger.warning(
            "database unavailable", extra={"request_id": request_id(request), "error": type(error).__name__}
        )
        return unavailable().answer(request)


def unavailable() -> Problem:
    return Problem(503, "SERVICE_UNAVAILABLE", UNAVAILABLE_MESSAGE, {"retry-after": RETRY_AFTER_S})


def query_pairs(request: Request, limit: int) -> list[tuple[str, str]]:
    """The query string's pairs; a 414 past `limit` bytes, a 400 when it is not UTF-8."""
    raw = request.scope.get("query_string", b"")
    if len(raw) > limit:
        raise Problem(414, "URI_TOO_LONG", f"the query string is {len(raw)} bytes, over the limit of {limit}")
    try:
        text = raw.decode("utf-8")
        if "%" in text or "+" in text:
            return parse_qsl(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise Problem(400, "BAD_REQUEST", "the query string is not valid UTF-8") from None
    # Nothing to unquote (the usual `limit=50&after=…`): what parse_qsl gives, split directly.
    return [(name, value) for name, _, value in (p.partition("=") for p in text.split("&") if p)]


async def run_document(
    engine: Engine, request: Request, query: str, variables: dict[str, Any] | None = None
) -> Any:
    """The `data` of the document's answer; a Problem for a deadline passed or any error."""
    answer = await engine.execute(request, query, variables, None, route="/v1")
    if answer is None:
        raise Problem(504, "REQUEST_TIMEOUT", engine.deadline_message())
    data, errors = answer
    if errors:
        raise problem_of(errors)
    return data


def problem_of(errors: list[GraphQLError]) -> Problem:
    """The first error as a problem, with the status its code calls for (any masked error: 500)."""
    codes = [error_code(e) for e in errors]
    chosen = codes.index("INTERNAL_SERVER_ERROR") if "INTERNAL_SERVER_ERROR" in codes else 0
    code = codes[chosen]
    return Problem(
        STATUS_OF_CODE.get(code, 400), code, errors[chosen].message, errors=[e.formatted for e in errors[:10]]
    )
