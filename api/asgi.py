"""An app factory for running under an external server with several workers:

    DATABASE_URL=postgresql://… uvicorn --factory api.asgi:app --workers 2

The database must already be migrated and seeded (`detente db migrate`, `detente db seed`).
"""

from __future__ import annotations

from starlette.applications import Starlette

from api.logs import configure_logging
from api.settings import Settings


def app() -> Starlette:
    from api.app import create_app

    settings = Settings()
    if not settings.database_url:
        raise RuntimeError("api.asgi:app needs DATABASE_URL (use `detente serve` for the embedded server)")
    configure_logging(settings.log_level)
    return create_app(settings, settings.database_url)
