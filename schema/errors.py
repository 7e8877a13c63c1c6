"""Errors a client may see, and the stable code every error carries in `extensions.code`.

Anything not public is masked to a generic message (with the request id to quote) and logged.
The codes follow the common vocabulary (Apollo's): GRAPHQL_PARSE_FAILED,
GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT, PERSISTED_QUERY_*, INTERNAL_SERVER_ERROR; the limits
add their own (QUERY_TOO_DEEP, QUERY_TOO_COSTLY, …; see schema/cost.py and the README).
"""

from __future__ import annotations

from graphql import GraphQLError, GraphQLSyntaxError, VariableDefinitionNode
from strawberry.extensions import MaskErrors


class PublicError(Exception):
    """An error whose message is safe and useful to show to the client."""

    code = "BAD_USER_INPUT"


class BadRequest(PublicError):
    """The request asks for something malformed or out of range."""


class NotFound(PublicError):
    """The request names something that does not exist."""

    code = "NOT_FOUND"


MASKED_MESSAGE = "Internal server error. It has been logged; quote the request id when reporting it."
INTERNAL = "INTERNAL_SERVER_ERROR"


def _is_variable_coercion(error: GraphQLError) -> bool:
    # A value that does not coerce to its variable's type (`"2024-02-30"` for a Date) is the
    # client's mistake, though graphql-core keeps the scalar's ValueError as the original error.
    nodes = error.nodes or ()
    return error.path is None and bool(nodes) and all(isinstance(n, VariableDefinitionNode) for n in nodes)


def is_public(error: GraphQLError) -> bool:
    """Syntax, validation and limit errors carry no original error; ours carry a PublicError."""
    return (
        error.original_error is None
        or isinstance(error.original_error, PublicError)
        or _is_variable_coercion(error)
    )


def error_code(error: GraphQLError) -> str:
    given = (error.extensions or {}).get("code")
    if isinstance(given, str):
        return given
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    if isinstance(error.original_error, PublicError):
        return error.original_error.code
    if _is_variable_coercion(error):
        return "BAD_USER_INPUT"
    if error.original_error is None and error.path is None:
        return "GRAPHQL_VALIDATION_FAILED"
    return INTERNAL if error.original_error is not None else "BAD_USER_INPUT"


def coded(errors: list[GraphQLError], request_id: str | None) -> list[GraphQLError]:
    """The errors as a client sees them: each with its stable code; an error that is not
    public masked to MASKED_MESSAGE, with the request id to quote."""
    processed: list[GraphQLError] = []
    for error in errors:
        if is_public(error):
            error.extensions = {"code": error_code(error), **(error.extensions or {})}
            processed.append(error)
        else:
            masked = GraphQLError(
                MASKED_MESSAGE,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                original_error=None,
            )
            masked.extensions = {"code": INTERNAL, **({"requestId": request_id} if request_id else {})}
            processed.append(masked)
    return processed


class CodedErrors(MaskErrors):
    """strawberry's masking with `coded` (for the operations strawberry's own path answers,
    see schema/execution.py)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not is_public(e), error_message=MASKED_MESSAGE)

    def _process_result(self, result: object) -> None:
        # strawberry checks `isinstance(result, _ResultWithErrors)`, a runtime Protocol: 1.5% of
        # a lookup's CPU (py-spy) for what an attribute read answers.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return coded(errors, getattr(self.execution_context.context, "request_id", None))
