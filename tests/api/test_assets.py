"""Vendored GraphiQL files: pinned, integrity-checked, licensed, served under immutable hashed URLs."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from api.assets import IMMUTABLE, STATIC_DIR, StaticAssets, hashed_name
from scripts.refresh_graphiql import MANIFEST, PINS
from tests.conftest import Service

VENDOR_DIR = STATIC_DIR / "graphiql"
ROOT = Path(__file__).resolve().parent.parent.parent


def _manifest(folder: Path = VENDOR_DIR) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    return manifest


def test_manifest_pins_every_package_with_its_integrity_and_licence() -> None:
    packages = _manifest()["packages"]
    assert [(p["name"], p["version"]) for p in packages] == [(pin.name, pin.version) for pin in PINS]
    for package in packages:
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", package["integrity"]), package["name"]
        assert package["tarball"].startswith("https://"), package["name"]
        assert package["license"] == "MIT"
        licence = (VENDOR_DIR / package["license_file"]).read_text()
        assert "Permission is hereby granted, free of charge" in licence


def test_committed_files_are_exactly_those_the_manifest_lists() -> None:
    listed = {f["path"]: f for p in _manifest()["packages"] for f in p["files"]}
    licences = {p["license_file"] for p in _manifest()["packages"]}
    on_disk = {p.relative_to(VENDOR_DIR).as_posix() for p in VENDOR_DIR.rglob("*") if p.is_file()}
    assert on_disk == set(listed) | licences | {MANIFEST}
    for name, entry in listed.items():
        data = (VENDOR_DIR / name).read_bytes()
        assert len(data) == entry["bytes"] and hashlib.sha256(data).hexdigest() == entry["sha256"], name
    # The explorer loads nothing else: keep it small.
    assert sum(f["bytes"] for f in listed.values()) < 2_000_000


async def test_refresh_script_reproduces_the_committed_files(tmp_path: Path) -> None:
    if shutil.which("npm") is None:
        pytest.fail("npm is needed to fetch the pinned packages from the registry")
    out = tmp_path / "graphiql"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "scripts.refresh_graphiql", "--out", str(out),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert _manifest(out) == _manifest()
    for file in VENDOR_DIR.rglob("*"):
        if file.is_file():
            assert (out / file.relative_to(VENDOR_DIR)).read_bytes() == file.read_bytes(), file.name


def test_hashed_names_carry_the_content_hash() -> None:
    assert hashed_name("graphiql/graphiql.min.js", "0123456789abcdef0123") == (
        "graphiql/graphiql.min.0123456789abcdef.js"
    )


async def test_assets_are_served_immutable_under_hashed_urls(service: Service) -> None:
    assets = StaticAssets()
    url = assets.url("graphiql/graphiql.min.js")
    response = await service.client.get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    body = (VENDOR_DIR / "graphiql.min.js").read_bytes()
    assert response.content == body
    assert hashlib.sha256(body).hexdigest().startswith(url.rsplit(".", 2)[1])
    css = await service.client.get(assets.url("graphiql/graphiql.min.css"))
    assert css.headers["content-type"] == "text/css; charset=utf-8"


@pytest.mark.parametrize(
    "path",
    [
        "/static/graphiql/graphiql.min.js",  # the unhashed name
        "/static/graphiql/graphiql.min.0000000000000000.js",  # a stale or made-up hash
        "/static/graphiql/manifest.json",
        "/static/",
    ],
)
async def test_unknown_static_paths_are_404_and_not_cached(service: Service, path: str) -> None:
    response = await service.client.get(path)
    assert response.status_code == 404
    assert response.headers["cache-control"] == "no-store"


def test_readme_names_the_vendored_versions_and_size() -> None:
    readme = (ROOT / "README.md").read_text()
    packages = {p["name"]: p for p in _manifest()["packages"]}
    total = sum(f["bytes"] for p in packages.values() for f in p["files"])
    section = readme[readme.index("GraphiQL's files are vendored") :][:300]
    assert f"({total / 1e6:.2f} MB: GraphiQL {packages['graphiql']['version']}," in section
    assert f"React {packages['react']['version']}" in section
    assert f"`@graphiql/plugin-explorer` {packages['@graphiql/plugin-explorer']['version']}" in section
