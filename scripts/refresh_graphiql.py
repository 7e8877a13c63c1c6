"""Vendors browser files from the npm registry: GraphiQL into api/static/graphiql/, Swagger UI
(the REST docs page, /v1/docs) into api/static/swagger-ui/.

Each pinned package is fetched with `npm pack`, its tarball's SHA-512 is checked against the
registry's published `dist.integrity` (and against the manifest's, when the manifest already pins
that version), and only the files the explorer page loads are extracted, with the package's
licence. `manifest.json` records versions, tarball addresses, integrities and each file's SHA-256.

    python -m scripts.refresh_graphiql            # refresh api/static/graphiql/
    python -m scripts.refresh_graphiql --out DIR  # write somewhere else (the tests compare)
    python -m scripts.refresh_graphiql --bundle swagger-ui   # refresh api/static/swagger-ui/

To upgrade, change a version in PINS, run the script, and check the explorer in a browser
(`make serve`; tests/api/test_explorer_browser.py does it headless).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT_DIR = Path(__file__).resolve().parent.parent / "api" / "static" / "graphiql"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Pin:
    """One npm package: which version, which of its files to serve (tarball path -> our name)."""

    name: str
    version: str
    files: dict[str, str] = field(default_factory=dict)
    license_file: str | None = "package/LICENSE"
    license_note: str = ""


# GraphiQL 3.x is the last line with UMD builds; it runs on React 18, whose UMD builds are the last.
PINS: tuple[Pin, ...] = (
    Pin("react", "18.3.1", {"package/umd/react.production.min.js": "react.production.min.js"}),
    Pin("react-dom", "18.3.1", {"package/umd/react-dom.production.min.js": "react-dom.production.min.js"}),
    Pin(
        "graphiql",
        "3.9.0",
        {"package/graphiql.min.js": "graphiql.min.js", "package/graphiql.min.css": "graphiql.min.css"},
    ),
    Pin(
        "@graphiql/plugin-explorer",
        "3.2.6",
        {
            "package/dist/index.umd.js": "plugin-explorer.umd.js",
            "package/dist/style.css": "plugin-explorer.css",
        },
        license_file=None,
        license_note="MIT (package.json); its tarball has no licence file, so the text is the LICENSE "
        "of graphiql, from the same repository (github.com/graphql/graphiql)",
    ),
    # Bundled inside plugin-explorer's UMD build: vendored for its licence only.
    Pin("graphiql-explorer", "0.9.0", {}),
)

# The REST docs page: Swagger UI's prebuilt browser bundle (no build step, no CDN).
SWAGGER_UI_PINS: tuple[Pin, ...] = (
    Pin(
        "swagger-ui-dist",
        "5.35.0",
        {
            "package/swagger-ui-bundle.js": "swagger-ui-bundle.js",
            "package/swagger-ui.css": "swagger-ui.css",
        },
    ),
)
STATIC_DIR = OUT_DIR.parent
BUNDLES: dict[str, tuple[Path, tuple[Pin, ...], str]] = {
    "graphiql": (OUT_DIR, PINS, "GraphiQL"),
    "swagger-ui": (STATIC_DIR / "swagger-ui", SWAGGER_UI_PINS, "Swagger UI"),
}


def _npm(*args: str, cwd: Path | None = None) -> Any:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to fetch packages from the registry")
    out = subprocess.run([npm, *args, "--json"], cwd=cwd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _license_name(name: str) -> str:
    return name.replace("@", "").replace("/", "-") + ".LICENSE"


def _fetch(pin: Pin, work: Path) -> tuple[bytes, dict[str, Any]]:
    spec = f"{pin.name}@{pin.version}"
    dist: dict[str, Any] = _npm("view", spec, "dist")
    packed = _npm("pack", spec, "--pack-destination", str(work))
    tarball = (work / packed[0]["filename"]).read_bytes()
    if _integrity(tarball) != dist["integrity"]:
        raise SystemExit(f"{spec}: tarball sha512 does not match the registry's dist.integrity")
    return tarball, {"tarball": dist["tarball"], "integrity": dist["integrity"]}


def _member(archive: tarfile.TarFile, name: str) -> bytes:
    extracted = archive.extractfile(archive.getmember(name))
    if extracted is None:
        raise SystemExit(f"{name} is not a regular file in the tarball")
    return extracted.read()


def refresh(out: Path, pins: tuple[Pin, ...] = PINS, what: str = "GraphiQL") -> dict[str, Any]:
    previous: dict[str, dict[str, Any]] = {}
    if (out / MANIFEST).exists():
        old = json.loads((out / MANIFEST).read_text())
        previous = {f"{p['name']}@{p['version']}": p for p in old["packages"]}
    if out.exists():
        if any(out.iterdir()) and not (out / MANIFEST).exists():
            raise SystemExit(f"{out} is not empty and holds no {MANIFEST}: not replacing it")
        shutil.rmtree(out)
    (out / "licenses").mkdir(parents=True)
    packages: list[dict[str, Any]] = []
    licenses: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for pin in pins:
            spec = f"{pin.name}@{pin.version}"
            tarball, meta = _fetch(pin, Path(tmp))
            pinned = previous.get(spec)
            if pinned is not None and pinned["integrity"] != meta["integrity"]:
                raise SystemExit(f"{spec}: the registry's integrity differs from the manifest's")
            with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
                package_json = json.loads(_member(archive, "package/package.json"))
                files = []
                for source, target in pin.files.items():
                    data = _member(archive, source)
                    (out / target).write_bytes(data)
                    files.append(
                        {
                            "path": target,
                            "from": source,
                            "bytes": len(data),
                            "sha256": hashlib.sha256(data).hexdigest(),
                        }
                    )
                if pin.license_file is not None:
                    licenses[pin.name] = _member(archive, pin.license_file)
            packages.append(
                {
                    "name": pin.name,
                    "version": pin.version,
                    "license": package_json.get("license"),
                    "license_file": f"licenses/{_license_name(pin.name)}",
                    **({"license_note": pin.license_note} if pin.license_note else {}),
                    "tarball": meta["tarball"],
                    "integrity": meta["integrity"],
                    "files": files,
                }
            )
    for package in packages:
        text = licenses.get(package["name"]) or licenses.get("graphiql") or b""
        (out / package["license_file"]).write_bytes(text)
    manifest = {
        "about": f"{what}'s browser files, vendored from the npm registry by scripts/refresh_graphiql.py; "
        "integrity is npm's dist.integrity (SHA-512 of the tarball). Do not edit by hand.",
        "packages": packages,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bundle", choices=sorted(BUNDLES), default="graphiql", help="what to vendor")
    parser.add_argument("--out", type=Path, default=None, help="folder to write (default: the bundle's)")
    args = parser.parse_args()
    default_out, pins, what = BUNDLES[args.bundle]
    args.out = args.out or default_out
    manifest = refresh(args.out, pins, what)
    total = sum(f["bytes"] for p in manifest["packages"] for f in p["files"])
    for package in manifest["packages"]:
        print(f"{package['name']}@{package['version']}  {package['integrity']}")
    print(f"{total} bytes served from {args.out}")


if __name__ == "__main__":
    main()
