"""docker-compose.yml and the Dockerfile, checked without a Docker engine: what they say must be
what the service reads and what the postgres image needs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from api.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SETTINGS = {name.upper() for name in Settings.model_fields}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    return loaded


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the final stage, continuation lines joined."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    lines = [
        line for line in re.sub(r"\\\n", " ", text).splitlines() if line.strip() and not line.startswith("#")
    ]
    stages = [i for i, line in enumerate(lines) if line.upper().startswith("FROM ")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines[stages[-1] :]]


def test_postgres_is_healthy_only_when_it_answers_over_tcp(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    env = postgres["environment"]
    test = postgres["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    assert shlex.split(test[1]) == [
        "pg_isready",
        "-h",
        "127.0.0.1",
        "-U",
        env["POSTGRES_USER"],
        "-d",
        env["POSTGRES_DB"],
    ]
    assert postgres["restart"] == "unless-stopped"
    assert "pgdata" in compose["volumes"]
    assert any(v.startswith("pgdata:") for v in postgres["volumes"])


def test_the_api_waits_for_a_healthy_database_and_restarts(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert api["restart"] == "unless-stopped"
    assert "/ready" in " ".join(api["healthcheck"]["test"])


def test_the_api_environment_is_what_the_settings_read(compose: dict[str, Any]) -> None:
    api, postgres = compose["services"]["api"], compose["services"]["postgres"]
    env = api["environment"]
    assert set(env) <= SETTINGS, set(env) - SETTINGS
    url = urlsplit(env["DATABASE_URL"])
    pg = postgres["environment"]
    assert (url.hostname, url.port, url.username, url.password, url.path) == (
        "postgres",
        5432,
        pg["POSTGRES_USER"],
        pg["POSTGRES_PASSWORD"],
        "/" + pg["POSTGRES_DB"],
    )
    assert env["HOST"] == "0.0.0.0"
    assert api["ports"] == [f"{env['PORT']}:{env['PORT']}"]
    for name, value in env.items():  # each value passes the settings' own validation
        Settings.model_validate({name.lower(): re.sub(r"\$\{\w+:-(.*)\}", r"\1", str(value))})


def test_the_image_runs_the_wheel_as_a_user_without_the_embedded_server() -> None:
    instructions = _dockerfile_instructions()
    users = [args for op, args in instructions if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    runs = " ".join(args for op, args in instructions if op == "RUN")
    assert "pip install" in runs and "/wheels/" in runs and "embedded" not in runs
    assert [args for op, args in instructions if op == "CMD"] == ['["detente", "serve"]']


def test_the_image_environment_is_what_the_settings_read() -> None:
    instructions = _dockerfile_instructions()
    env = dict(pair.split("=", 1) for op, args in instructions if op == "ENV" for pair in shlex.split(args))
    ours = {n for n in env if not n.startswith(("PYTHON", "PIP_"))}
    assert ours <= SETTINGS, ours - SETTINGS
    assert {"HOST", "PORT", "SEEDS_DIR", "WEB_CONCURRENCY"} <= ours
    Settings.model_validate({n.lower(): env[n] for n in ours})
    # The dataset is not in the wheel: the image copies it to where SEEDS_DIR points.
    assert ["seeds", env["SEEDS_DIR"]] in [args.split() for op, args in instructions if op == "COPY"]
