"""Built dataset packages on disk: one file per release content, the newest few kept, built
once per process however many ask at once."""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from graphql import GraphQLSchema

from api.rest_files.package import file_etag, write_package

KEEP = 2  # packages kept per process (the loaded release, and the one before while it changes)


@dataclass(frozen=True)
class Built:
    version: str
    path: Path
    etag: str
    size: int


class PackageStore:
    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self._dir: Path | None = None
        self._built: OrderedDict[str, Built] = OrderedDict()
        self._lock = asyncio.Lock()

    def _folder(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="detente-packages-"))
            atexit.register(shutil.rmtree, self._dir, ignore_errors=True)
        return self._dir

    async def get(self, pool: asyncpg.Pool, content_hash: str) -> Built | None:  # the hash alone
        """The package of the release with this content hash (built if need be); None when no
        release is loaded."""
        found = self._built.get(content_hash)
        if found is not None and found.path.exists():
            return found
        async with self._lock:
            found = self._built.get(content_hash)
            if found is not None and found.path.exists():
                return found
            path = self._folder() / f"{content_hash}.zip"
            partial = path.with_suffix(".partial")
            async with pool.acquire() as conn:
                with partial.open("wb") as target:
                    release: dict[str, Any] | None = await write_package(conn, self.schema, target)
            if release is None:
                partial.unlink(missing_ok=True)
                return None
            if release["content_hash"] != content_hash:  # loaded meanwhile: keep it under its own hash
                path = self._folder() / f"{release['content_hash']}.zip"
            partial.replace(path)
            built = Built(
                release["version"], path, await asyncio.to_thread(file_etag, path), path.stat().st_size
            )
            self._built[release["content_hash"]] = built
            while len(self._built) > KEEP:
                _, dropped = self._built.popitem(last=False)
                dropped.path.unlink(missing_ok=True)
            return built
