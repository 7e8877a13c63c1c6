"""Logs: a request that fails inside is logged once at ERROR with its request id; a client's
mistake at INFO, without a traceback."""

from __future__ import annotations

import logging

import asyncpg
import pytest

from api.database import database_name
from api.settings import Settings
from tests.conftest import Databases, Service, running_service


def _for(caplog: pytest.LogCaptureFixture, request_id: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "request_id", None) == request_id]


async def test_an_internal_failure_is_logged_once_at_error_with_the_request_id(
    settings: Settings, databases: Databases, template_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = await databases.create(template=database_name(template_url))
    slow = settings.model_copy(update={"statement_timeout_ms": 100})
    async with running_service(slow, url) as service:
        for query, name in [
            ("{ events(first: 2) { nodes { slug } } }", "compiled"),  # a plan
            ("{ events(first: 2) @include(if: true) { nodes { slug } } }", "general"),  # graphql-core
        ]:
            caplog.clear()
            request_id = f"fails-in-{name}"
            locker = await asyncpg.connect(url)
            try:
                async with locker.transaction():
                    # Postgres cancels the statement waiting on the lock at statement_timeout.
                    await locker.execute("lock table event in access exclusive mode")
                    with caplog.at_level(logging.INFO):
                        response = await service.client.post(
                            "/graphql", json={"query": query}, headers={"x-request-id": request_id}
                        )
            finally:
                await locker.close()
            error = response.json()["errors"][0]
            assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
            records = _for(caplog, request_id)
            errors = [r for r in records if r.levelno >= logging.ERROR]
            assert len(errors) == 1, [(r.name, r.getMessage()) for r in errors]
            assert errors[0].exc_info is not None  # the traceback is in the log, not the answer
            assert "Traceback" not in response.text and "lock" not in response.text


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ events { nope } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ events(", "GRAPHQL_PARSE_FAILED"),
        ("{ events(first: 500) { totalCount } }", "BAD_USER_INPUT"),
        ('{ events(after: "not-a-cursor") { totalCount } }', "BAD_USER_INPUT"),
    ],
)
async def test_client_mistakes_are_info_without_a_traceback(
    service: Service, caplog: pytest.LogCaptureFixture, query: str, code: str
) -> None:
    request_id = f"client-{code.lower()}"
    with caplog.at_level(logging.INFO):
        response = await service.client.post(
            "/graphql", json={"query": query}, headers={"x-request-id": request_id}
        )
    assert response.json()["errors"][0]["extensions"]["code"] == code
    records = _for(caplog, request_id)
    assert records, "the request was logged"
    assert all(r.levelno < logging.WARNING for r in records), [(r.levelname, r.getMessage()) for r in records]
    assert all(r.exc_info is None for r in records)
