"""The `detente` command: serve, db migrate, db seed [PATH], db columns, schema export."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

import asyncpg

from api.logs import configure_logging
from api.settings import Settings

logger = logging.getLogger("detente.cli")


def _service_url(server_url: str, settings: Settings) -> str:
    """Wait until the server accepts connections (a container may start before its database);
    then, with DATABASE_URL, use it as given; the embedded server gets a `detente` database."""
    from api.database import SERVICE_DATABASE, ensure_database, with_database
    from api.startup import wait_for_database

    asyncio.run(wait_for_database(server_url, settings.database_connect_timeout_s))
    if settings.database_url:
        return server_url
    asyncio.run(ensure_database(server_url, SERVICE_DATABASE))
    return with_database(server_url, SERVICE_DATABASE)


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    if settings.web_concurrency > 1:
        # The workers' shared metrics files; they inherit the variable and read it at import.
        from api.metrics_dir import prepare_multiprocess_dir

        prepare_multiprocess_dir(settings.prometheus_multiproc_dir)
    from api.app import create_app
    from api.database import database_server, prepare
    from api.server import server_config

    with database_server(settings) as server_url:
        url = _service_url(server_url, settings)
        asyncio.run(prepare(url, settings.seeds_dir))
        logger.info(
            "serving",
            extra={
                "url": f"http://{settings.host}:{settings.port}/graphql",
                "workers": settings.web_concurrency,
            },
        )
        # uvicorn re-raises SIGTERM after a graceful shutdown; with the default handler that
        # would kill the process before the embedded Postgres is stopped on the way out.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        if settings.web_concurrency == 1:
            config = server_config(create_app(settings, url), settings, settings.host, settings.port)
            uvicorn.Server(config).run()
        else:
            return _serve_workers(settings, url)
    return 0


def _serve_workers(settings: Settings, database_url: str) -> int:
    """WEB_CONCURRENCY worker processes on one socket, each building the app from `api.asgi:app`.
    This process has migrated and seeded already (and runs the embedded server, if any): the
    workers are told the service database through their environment, and only serve. Returns
    the exit status: 1 when a worker could not start (uvicorn then stops them all)."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from api.app import create_app
    from api.server import server_config

    # Build the app once here (schema, persisted-query manifest; no connections): a broken
    # configuration fails once with its error, where uvicorn would restart crashing workers.
    create_app(settings, database_url)
    os.environ["DATABASE_URL"] = database_url
    config = server_config(
        "api.asgi:app", settings, settings.host, settings.port, factory=True, workers=settings.web_concurrency
    )
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    if any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes):
        logger.error("a worker could not start; all stopped")
        return 1
    return 0


def db_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from api.database import database_server
    from db.migrate import migrate

    async def run(url: str) -> list[str]:
        conn = await asyncpg.connect(url)
        try:
            return await migrate(conn)
        finally:
            await conn.close()

    with database_server(settings) as server_url:
        applied = asyncio.run(run(_service_url(server_url, settings)))
    print("applied: " + ", ".join(applied) if applied else "up to date")
    return 0


def db_seed(settings: Settings, args: argparse.Namespace) -> int:
    from api.database import database_server
    from db.migrate import migrate
    from db.seed import load_seeds

    path = Path(args.path) if args.path else settings.seeds_dir

    async def run(url: str) -> None:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
            report = await load_seeds(conn, path, force=args.force)
        finally:
            await conn.close()
        if report.skipped:
            print(f"release {report.release_version}: unchanged since the last load")
        elif not report.changed:
            print(f"release {report.release_version}: no changes")
        else:
            for table, counts in sorted(report.changes.items()):
                print(f"{table}: " + ", ".join(f"{n} {what}" for what, n in counts.items() if n))

    with database_server(settings) as server_url:
        asyncio.run(run(_service_url(server_url, settings)))
    return 0


def db_columns(settings: Settings, args: argparse.Namespace) -> int:
    from api.database import database_server, scratch_database
    from db.catalog import COLUMNS_PATH, generate

    async def run(server_url: str) -> str:
        async with scratch_database(server_url, "detente_columns") as url:
            conn = await asyncpg.connect(url)
            try:
                return await generate(conn)
            finally:
                await conn.close()

    target = Path(args.output) if args.output else COLUMNS_PATH
    with database_server(settings) as server_url:
        text = asyncio.run(run(server_url))
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def schema_export(settings: Settings, args: argparse.Namespace) -> int:
    from schema.build import SDL_PATH, export_sdl

    target = Path(args.output) if args.output else SDL_PATH
    target.write_text(export_sdl(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="detente", description="Détente: US–China relations in AI, as a GraphQL API."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser(
        "serve",
        help="migrate, load seeds and serve the API",
        description="Wait for the database (DATABASE_CONNECT_TIMEOUT_S), apply migrations, load "
        "SEEDS_DIR and serve GraphQL on HOST:PORT with WEB_CONCURRENCY worker processes (an "
        "embedded Postgres when DATABASE_URL is unset).",
    )
    p.set_defaults(handler=serve)

    db = commands.add_parser("db", help="database commands", description="Database commands.")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    p = db_commands.add_parser(
        "migrate",
        help="apply pending migrations",
        description="Apply pending db/migrations/*.sql files, each in one transaction.",
    )
    p.set_defaults(handler=db_migrate)
    p = db_commands.add_parser(
        "seed",
        help="validate and load a seeds folder",
        description="Validate a seeds folder and upsert it by slug in one transaction; records "
        "no longer in the files are deleted. Nothing is written if any file is invalid.",
    )
    p.add_argument("path", nargs="?", help="seeds folder (default: the project's seeds/)")
    p.add_argument("--force", action="store_true", help="load even if unchanged since last load")
    p.set_defaults(handler=db_seed)
    p = db_commands.add_parser(
        "columns",
        help="write db/columns.py from the migrations",
        description="Migrate a scratch database on the server (DATABASE_URL, else the embedded "
        "one), write each table's columns as the migrations create them (default: db/columns.py) "
        "and drop the database.",
    )
    p.add_argument("--output", help="where to write it")
    p.set_defaults(handler=db_columns)

    sch = commands.add_parser("schema", help="schema commands", description="Schema commands.")
    sch_commands = sch.add_subparsers(dest="schema_command", required=True)
    p = sch_commands.add_parser(
        "export",
        help="write the GraphQL SDL",
        description="Write the SDL of the schema as the code defines it (default: schema/schema.graphql).",
    )
    p.add_argument("--output", help="where to write it")
    p.set_defaults(handler=schema_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level)
    from api.embedded import EmbeddedPostgresNotInstalled
    from api.startup import DatabaseUnavailable
    from db.migrate import MigrationError
    from db.seed import SeedError

    try:
        return int(args.handler(settings, args))
    except (SeedError, MigrationError, DatabaseUnavailable, EmbeddedPostgresNotInstalled) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
