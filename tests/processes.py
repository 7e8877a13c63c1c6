"""Running `detente` as a real process: its environment, a free port, waiting for /ready, and which
worker process holds a client's connection (read from /proc, so the service exposes nothing new)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from api.settings import Settings
from bench.pgserver import free_port

STARTUP_DEADLINE_S = 180.0  # a bound for a broken start to fail the test, not a measurement
STOP_DEADLINE_S = 60.0


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any variable the settings read (nor PYTHONPATH), plus
    `settings`: the child sees only what the test says."""
    names = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in names and k != "PYTHONPATH"}
    env.update(settings)
    return env


@dataclass
class Served:
    process: asyncio.subprocess.Process
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def wait_for_output(self, text: str, times: int = 1) -> None:
        """Until `text` appears in the output `times` times (fails if the process ends first)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STARTUP_DEADLINE_S
        while self.output().count(text) < times:
            assert self.process.returncode is None, f"exited {self.process.returncode}:\n{self.output()}"
            assert loop.time() < deadline, f"no {text!r} in the output:\n{self.output()}"
            await asyncio.sleep(0.05)

    async def wait_until_ready(self) -> None:
        """Until GET /ready answers 200 (fails if the process ends first)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STARTUP_DEADLINE_S
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            while True:
                assert self.process.returncode is None, f"exited {self.process.returncode}:\n{self.output()}"
                assert loop.time() < deadline, f"not ready in time:\n{self.output()}"
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/ready")).status_code == 200:
                        return
                await asyncio.sleep(0.1)

    async def exited(self) -> int:
        """The exit status, once the process ends by itself."""
        return await asyncio.wait_for(self.process.wait(), STARTUP_DEADLINE_S)

    async def stop(self) -> int:
        """SIGTERM, as a container runtime sends it; returns the exit status."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), STOP_DEADLINE_S)


@contextlib.asynccontextmanager
async def serving(
    command: Sequence[str], env: Mapping[str, str], cwd: Path, log: Path
) -> AsyncIterator[Served]:
    """`command` (a `detente serve`) on a free loopback port; stopped (and its process group
    killed, should it not stop) on the way out."""
    port = free_port()
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *command,
            env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(process=process, url=f"http://127.0.0.1:{port}", log=log)
    try:
        yield served
    finally:
        try:
            await served.stop()
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            raise


async def run(command: Sequence[str], env: Mapping[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run a command to its end: (exit status, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        *command, env=dict(env), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), STARTUP_DEADLINE_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def child_pids(pid: int) -> set[int]:
    """The processes whose parent is `pid`."""
    children = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        # pid (comm) state ppid ...; comm may hold spaces and parentheses
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.add(int(entry.name))
    return children


def _hex_endpoint(address: str) -> tuple[str, int]:
    host, port = address.split(":")
    return host, int(port, 16)


def connection_owner(server_port: int, client_port: int, candidates: set[int]) -> int | None:
    """Which of `candidates` holds the server end of the loopback TCP connection from
    `client_port` to `server_port`: its socket inode in /proc/net/tcp, then each process's fds."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = _hex_endpoint(fields[1]), _hex_endpoint(fields[2])
        if local[1] == server_port and remote[1] == client_port:
            inode = fields[9]
            break
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in candidates:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == target:
                        return pid
    return None
