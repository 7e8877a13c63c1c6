"""A least-recently-used cache bounded by entries and by bytes.

Every cache that client input can fill (parsed documents, validation results, plans,
persisted queries, responses) is one of these, so none can grow memory without bound.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

# Told of every lookup in a named cache (cache name, hit): the service's metrics set it.
observe_lookup: Callable[[str, bool], None] | None = None


class BoundedCache(Generic[K, V]):
    def __init__(self, max_entries: int, max_bytes: int, name: str = "") -> None:
        self.name = name  # named caches report hits and misses to `observe_lookup`
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if self.name and observe_lookup is not None:
            observe_lookup(self.name, entry is not None)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: K, value: V, size: int) -> None:
        """Stores `value`, which weighs `size` bytes; one heavier than the whole budget is not
        stored at all."""
        if size > self.max_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._entries[key] = (value, size)
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0
