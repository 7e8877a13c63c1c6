"""Waiting for the database at startup: retry the first connection with backoff, for a bounded time."""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlsplit

import asyncpg

logger = logging.getLogger("detente.startup")

FIRST_DELAY_S = 0.1
MAX_DELAY_S = 5.0
CONNECT_ATTEMPT_TIMEOUT_S = 10.0

# What a server that is starting, restarting or not yet reachable answers. A wrong password or a
# missing database does not fix itself, so those fail at once.
_TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,  # refused, unreachable, a name that does not resolve yet (compose starts services together)
    TimeoutError,
    asyncpg.CannotConnectNowError,  # 57P03: the database system is starting up / shutting down
    asyncpg.TooManyConnectionsError,
    asyncpg.ObjectNotInPrerequisiteStateError,  # 55000: the database is not accepting connections
    asyncpg.PostgresConnectionError,
)


class DatabaseUnavailable(Exception):
    """The database did not accept a connection within the startup bound."""


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


async def wait_for_database(url: str, timeout_s: float) -> None:
    """Return once the database at `url` accepts a connection; retry transient failures with
    exponential backoff (0.1 s doubling, at most 5 s apart) until `timeout_s` has passed, then raise
    DatabaseUnavailable naming the last reason."""
    deadline = time.monotonic() + timeout_s
    delay = FIRST_DELAY_S
    attempt = 0
    while True:
        attempt += 1
        remaining = deadline - time.monotonic()
        try:
            conn = await asyncpg.connect(url, timeout=max(min(CONNECT_ATTEMPT_TIMEOUT_S, remaining), 0.1))
        except _TRANSIENT as exc:
            reason = str(exc) or type(exc).__name__
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DatabaseUnavailable(
                    f"the database at {redacted(url)} did not accept connections within {timeout_s:g} s "
                    f"(DATABASE_CONNECT_TIMEOUT_S; {attempt} attempts); last error: {reason}"
                ) from exc
            logger.warning(
                "database not accepting connections yet; retrying",
                extra={"attempt": attempt, "retry_in_s": round(min(delay, remaining), 2), "error": reason},
            )
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, MAX_DELAY_S)
            continue
        except asyncpg.PostgresError as exc:
            raise DatabaseUnavailable(f"cannot connect to the database at {redacted(url)}: {exc}") from exc
        await conn.close()
        if attempt > 1:
            logger.info("database accepting connections", extra={"attempts": attempt})
        return
