"""Every error gets its stable code: a PublicError's own (NotFound's too), masked ones INTERNAL."""

from __future__ import annotations

import strawberry

from schema.errors import INTERNAL, MASKED_MESSAGE, BadRequest, CodedErrors, NotFound


@strawberry.type
class _Query:
    @strawberry.field
    def missing(self) -> str | None:
        raise NotFound("no event has the slug 'nope'")

    @strawberry.field
    def bad(self) -> str | None:
        raise BadRequest("`first` must be at most 100")

    @strawberry.field
    def broken(self) -> str | None:
        raise RuntimeError("a bug with a secret in it")


SCHEMA = strawberry.Schema(query=_Query, extensions=[CodedErrors])


async def test_public_errors_carry_their_code_and_message() -> None:
    result = await SCHEMA.execute("{ missing bad broken }")
    assert result.errors is not None
    by_path = {e.path[0]: e.formatted for e in result.errors if e.path}
    assert by_path["missing"]["extensions"] == {"code": "NOT_FOUND"}
    assert by_path["missing"]["message"] == "no event has the slug 'nope'"
    assert by_path["bad"]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert by_path["broken"]["extensions"] == {"code": INTERNAL}
    assert by_path["broken"]["message"] == MASKED_MESSAGE


async def test_parse_and_validation_errors_are_coded() -> None:
    parse = await SCHEMA.execute("{ missing")
    assert parse.errors and parse.errors[0].extensions == {"code": "GRAPHQL_PARSE_FAILED"}
    invalid = await SCHEMA.execute("{ nope }")
    assert invalid.errors and invalid.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}
