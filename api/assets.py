"""Static files (api/static/) served under content-hashed URLs with year-long, immutable caching.

`/static/graphiql/graphiql.min.js` is served as `/static/graphiql/graphiql.min.<hash>.js`, where
the hash is the start of the file's SHA-256: a changed file gets a new URL, so browsers and CDNs
may keep each one forever. Pages ask `url()` for the current address; unhashed names are 404.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

STATIC_DIR = Path(__file__).parent / "static"
HASH_LENGTH = 16
IMMUTABLE = "public, max-age=31536000, immutable"
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".LICENSE": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class _Asset:
    body: bytes
    media_type: str


def hashed_name(name: str, digest: str) -> str:
    """`graphiql/graphiql.min.js` -> `graphiql/graphiql.min.<digest>.js`."""
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}.{digest[:HASH_LENGTH]}{path.suffix}"))


class StaticAssets:
    """Every file under a folder, read once when the app is built, served from memory."""

    def __init__(self, root: Path = STATIC_DIR, prefix: str = "/static") -> None:
        self.prefix = prefix
        self._urls: dict[str, str] = {}
        self._assets: dict[str, _Asset] = {}
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            if file.suffix not in MEDIA_TYPES:
                continue
            name = file.relative_to(root).as_posix()
            body = file.read_bytes()
            served = hashed_name(name, hashlib.sha256(body).hexdigest())
            self._urls[name] = f"{prefix}/{served}"
            self._assets[served] = _Asset(body, MEDIA_TYPES[file.suffix])

    def url(self, name: str) -> str:
        """The content-hashed address of a file, by its path under the static folder."""
        return self._urls[name]

    async def endpoint(self, request: Request) -> Response:
        asset = self._assets.get(request.path_params["path"])
        if asset is None:
            raise HTTPException(404, "no such static file")
        return Response(
            asset.body,
            media_type=asset.media_type,
            headers={"cache-control": IMMUTABLE, "x-content-type-options": "nosniff"},
        )
