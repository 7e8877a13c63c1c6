"""Persisted queries, compatible with Apollo's Automatic Persisted Queries (APQ).

A client sends `extensions.persistedQuery.sha256Hash` alone; the server answers from its store,
or with PersistedQueryNotFound so the client resends the hash with the query, which is stored
once it has parsed and validated (`learn`): text the parser rejects is never kept. The store is
bounded by entries and bytes. In allow-list mode only documents from the manifest run at all.
With Redis (`REDIS_URL`) learned documents are shared by every replica (api/shared_cache.py).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from api.shared_cache import BYTES, RedisLink, SharedCache
from schema.bounded import BoundedCache


class PersistedQueryError(Exception):
    def __init__(self, message: str, code: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class PersistedQueries:
    def __init__(
        self,
        allow_list: dict[str, str] | None = None,
        only: bool = False,
        max_entries: int = 10_000,
        max_bytes: int = 16 * 2**20,
        link: RedisLink | None = None,
        ttl_s: int = 86_400,
    ) -> None:
        self._allowed = dict(allow_list or {})
        self.learned = SharedCache(
            "apq",
            BoundedCache(max_entries, max_bytes, "apq"),
            link,
            max_entries,
            max_bytes,
            ttl_s,
            codec=BYTES,
        )
        self.only = only

    @classmethod
    def from_manifest(
        cls,
        path: Path | None,
        only: bool,
        max_entries: int = 10_000,
        max_bytes: int = 16 * 2**20,
        link: RedisLink | None = None,
        ttl_s: int = 86_400,
    ) -> PersistedQueries:
        """A manifest is a JSON object of sha256 hash -> document."""
        manifest: dict[str, str] = {}
        if path is not None:
            raw = json.loads(path.read_text(encoding="utf-8"))
            for digest, query in raw.items():
                if hashlib.sha256(query.encode()).hexdigest() != digest:
                    raise ValueError(f"{path}: hash {digest} does not match its document")
                manifest[digest] = query
        return cls(manifest, only, max_entries, max_bytes, link, ttl_s)

    async def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> tuple[str, str | None]:
        """The document to run, and the hash to `learn` it under once it proved valid (None
        when there is nothing to learn)."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if self.only:
                raise PersistedQueryError(
                    "this server only runs persisted queries: send extensions.persistedQuery",
                    "PERSISTED_QUERY_REQUIRED",
                    400,
                )
            assert query is not None
            return query, None
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise PersistedQueryError(
                "unsupported persistedQuery version (use 1)", "PERSISTED_QUERY_INVALID", 400
            )
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or len(digest) != 64:
            raise PersistedQueryError(
                "persistedQuery.sha256Hash must be a sha256 hex digest", "PERSISTED_QUERY_INVALID", 400
            )
        if query is None:
            known = self._allowed.get(digest)
            if known is None:
                learned, _ = await self.learned.get(digest)
                known = learned.decode() if learned is not None else None
            if known is None:
                if self.only:
                    raise PersistedQueryError("unknown persisted query", "PERSISTED_QUERY_NOT_ALLOWED", 400)
                # Apollo clients look for this message and resend with the full query.
                raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", 200)
            return known, None
        if hashlib.sha256(query.encode()).hexdigest() != digest:
            raise PersistedQueryError(
                "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH", 400
            )
        if self.only and digest not in self._allowed:
            raise PersistedQueryError("unknown persisted query", "PERSISTED_QUERY_NOT_ALLOWED", 400)
        return query, (digest if digest not in self._allowed else None)

    async def learn(self, digest: str, query: str) -> None:
        await self.learned.put(digest, query.encode())
