"""A pgbouncer of our own (Debian's package, 1.18), in transaction pooling mode, in front of a
Postgres server: for tests/cluster/test_pgbouncer.py and bench/pgbouncer_bench.py.

It has its own config file, auth file, port and folder; as root it runs as Debian's `postgres`
user (pgbouncer refuses to run as root), or `nobody` without that user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

from bench.pgserver import free_port

START_TIMEOUT_S = 10.0


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.access(p, os.X_OK)), None
    )


def _run_as(host: str) -> str | None:
    """As root: the owner of the server's socket folder (it alone may enter it), else `postgres`."""
    if os.geteuid() != 0:
        return None
    if host.startswith("/"):
        return pwd.getpwuid(Path(host).stat().st_uid).pw_name
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("no user to run pgbouncer as (it refuses root)")


class PgBouncer:
    """pgbouncer in front of the server of `server_url`, every database name passed through."""

    def __init__(self, directory: Path, server_url: str, pool_size: int = 2) -> None:
        self.directory = directory
        self.server_url = server_url
        self.pool_size = pool_size
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, database_url: str) -> str:
        """`database_url` (a database on the server) reached through this pgbouncer."""
        parts = urlsplit(database_url)
        netloc = f"{parts.username}@127.0.0.1:{self.port}" if parts.username else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc, query=""))

    def _write_config(self) -> tuple[Path, str | None]:
        server = urlsplit(self.server_url)
        user = server.username or "postgres"
        # A Unix socket folder (the embedded server's URL says `?host=/path`) or a TCP host.
        host = parse_qs(server.query).get("host", [server.hostname or "127.0.0.1"])[0]
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o755)
        (self.directory / "userlist.txt").write_text(f'"{user}" ""\n', encoding="utf-8")
        config = self.directory / "pgbouncer.ini"
        config.write_text(
            "\n".join(
                [
                    "[databases]",
                    f"* = host={host} port={server.port or 5432}",
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    f"listen_port = {self.port}",
                    "unix_socket_dir =",
                    "auth_type = trust",
                    f"auth_file = {self.directory / 'userlist.txt'}",
                    "pool_mode = transaction",
                    f"default_pool_size = {self.pool_size}",
                    "max_client_conn = 500",
                    f"logfile = {self.directory / 'pgbouncer.log'}",
                    f"pidfile = {self.directory / 'pgbouncer.pid'}",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        owner = _run_as(host)
        if owner is not None:
            entry = pwd.getpwnam(owner)
            for path in self.directory.iterdir():
                os.chown(path, entry.pw_uid, entry.pw_gid)
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        return config, owner

    def start(self) -> None:
        binary = pgbouncer_binary()
        if binary is None:
            raise RuntimeError("pgbouncer is not installed (apt-get install pgbouncer)")
        config, owner = self._write_config()
        with (self.directory / "stderr.log").open("wb") as stderr:
            self.process = subprocess.Popen(
                [binary, str(config)],
                user=owner,
                group=owner and pwd.getpwnam(owner).pw_gid,
                extra_groups=[] if owner else None,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd="/",
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.5):
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                logs = [self.directory / "pgbouncer.log", self.directory / "stderr.log"]
                text = " ".join(p.read_text()[-2000:] for p in logs if p.exists())
                self.stop()
                raise RuntimeError(f"pgbouncer did not start: {text}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@contextlib.contextmanager
def pgbouncer(directory: Path, server_url: str, pool_size: int = 2) -> Iterator[PgBouncer]:
    bouncer = PgBouncer(directory, server_url, pool_size)
    bouncer.start()
    try:
        yield bouncer
    finally:
        bouncer.stop()
        shutil.rmtree(directory, ignore_errors=True)
