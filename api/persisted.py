"""Persisted queries, compatible with Apollo's Automatic Persisted Queries (APQ).

A client sends `extensions.persistedQuery.sha256Hash` alone; the server answers from its store,
or with PersistedQueryNotFound so the client resends the hash with the query, which is then
stored. In allow-list mode only documents from the configured manifest run at all.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

MAX_STORED = 10_000


class PersistedQueryError(Exception):
    def __init__(self, message: str, code: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class PersistedQueries:
    def __init__(self, allow_list: dict[str, str] | None = None, only: bool = False) -> None:
        self._allowed = dict(allow_list or {})
        self._learned: OrderedDict[str, str] = OrderedDict()
        self.only = only

    @classmethod
    def from_manifest(cls, path: Path | None, only: bool) -> PersistedQueries:
        """A manifest is a JSON object of sha256 hash -> document."""
        manifest: dict[str, str] = {}
        if path is not None:
            raw = json.loads(path.read_text(encoding="utf-8"))
            for digest, query in raw.items():
                if hashlib.sha256(query.encode()).hexdigest() != digest:
                    raise ValueError(f"{path}: hash {digest} does not match its document")
                manifest[digest] = query
        return cls(manifest, only)

    def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> str:
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if self.only:
                raise PersistedQueryError(
                    "this server only runs persisted queries: send extensions.persistedQuery",
                    "PERSISTED_QUERY_REQUIRED",
                    400,
                )
            assert query is not None
            return query
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
            known = self._allowed.get(digest) or self._learned.get(digest)
            if known is None:
                if self.only:
                    raise PersistedQueryError("unknown persisted query", "PERSISTED_QUERY_NOT_ALLOWED", 400)
                # Apollo clients look for this message and resend with the full query.
                raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", 200)
            return known
        if hashlib.sha256(query.encode()).hexdigest() != digest:
            raise PersistedQueryError(
                "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH", 400
            )
        if self.only and digest not in self._allowed:
            raise PersistedQueryError("unknown persisted query", "PERSISTED_QUERY_NOT_ALLOWED", 400)
        self._learned[digest] = query
        if len(self._learned) > MAX_STORED:
            self._learned.popitem(last=False)
        return query
