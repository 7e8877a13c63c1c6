"""WEB_CONCURRENCY: `detente serve` runs that many worker processes, and each answers."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from tests.conftest import FIXTURE_SEEDS, Databases
from tests.processes import Served, child_pids, clean_environment, connection_owner, serving

REPO = Path(__file__).resolve().parents[2]
DETENTE = [sys.executable, "-m", "api.cli"]
MAX_CONNECTIONS = 1000  # the kernel hands each new connection to a waiting worker; far fewer reach both
STARTED = "Application startup complete."  # uvicorn's line, once per worker


async def _answering_workers(served: Served, workers: int) -> dict[int, int]:
    """Once every worker has started, open new connections, each sending a query and /health,
    until `workers` distinct processes have answered; returns {worker pid: connections}."""
    await served.wait_for_output(STARTED, times=workers)
    server_port = int(served.url.rsplit(":", 1)[1])
    answered: dict[int, int] = {}
    for _ in range(MAX_CONNECTIONS):
        # A new client is a new connection; it stays open until its server end is found in /proc.
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
            response = await client.post("/graphql", json={"query": "{ release { version } }"})
            assert response.status_code == 200, response.text
            assert response.json()["data"]["release"]["version"], response.text
            health = await client.get("/health")
            assert health.json() == {"status": "ok"}
            client_port = health.extensions["network_stream"].get_extra_info("client_addr")[1]
            owner = connection_owner(server_port, client_port, child_pids(served.process.pid))
        assert owner is not None, "the connection is held by no child of `detente serve`"
        answered[owner] = answered.get(owner, 0) + 1
        if len(answered) == workers:
            break
    return answered


async def test_web_concurrency_runs_that_many_workers_and_each_answers(
    databases: Databases, tmp_path: Path
) -> None:
    url = await databases.create()
    env = clean_environment(DATABASE_URL=url, SEEDS_DIR=str(FIXTURE_SEEDS), WEB_CONCURRENCY="2")
    async with serving([*DETENTE, "serve"], env, REPO, tmp_path / "serve.log") as served:
        await served.wait_until_ready()
        answered = await _answering_workers(served, 2)
        assert len(answered) == 2, (answered, served.output())
        # Migrations and seeds ran once, in the parent, before the workers started.
        assert served.output().count('"seeds loaded"') == 1, served.output()
        assert await served.stop() == 0
    assert not child_pids(served.process.pid)


async def test_with_the_embedded_server_the_parent_prepares_once_and_workers_serve(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = clean_environment(DATA_DIR=str(data_dir), SEEDS_DIR=str(FIXTURE_SEEDS), WEB_CONCURRENCY="2")
    async with serving([*DETENTE, "serve"], env, REPO, tmp_path / "serve.log") as served:
        await served.wait_until_ready()
        assert (data_dir / "pg" / "postmaster.pid").exists()
        answered = await _answering_workers(served, 2)
        assert len(answered) == 2, (answered, served.output())
        assert served.output().count('"seeds loaded"') == 1, served.output()
        assert await served.stop() == 0
    # The parent stopped its embedded server once the workers had gone.
    assert not (data_dir / "pg" / "postmaster.pid").exists(), served.output()


async def test_a_configuration_the_app_cannot_start_with_fails_once_not_per_worker(
    databases: Databases, tmp_path: Path
) -> None:
    manifest = tmp_path / "persisted.json"
    manifest.write_text('{"0000": "{ release { version } }"}', encoding="utf-8")
    env = clean_environment(
        DATABASE_URL=await databases.create(),
        SEEDS_DIR=str(FIXTURE_SEEDS),
        WEB_CONCURRENCY="2",
        PERSISTED_QUERIES_FILE=str(manifest),
    )
    async with serving([*DETENTE, "serve"], env, REPO, tmp_path / "serve.log") as served:
        status = await served.exited()
        assert status == 1, served.output()
        assert "hash 0000 does not match its document" in served.output()
        assert "Started parent process" not in served.output()  # no worker was spawned
