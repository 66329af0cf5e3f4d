"""A thread-safe cache of values built once per key (the dashboard's shared overviews and the
follow-up's measurements per month)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BuildCache(Generic[K, V]):
    """Values built once per key and kept; beyond ``max_entries`` the least recently used is
    forgotten. Safe to share between threads: a key asked for by several threads at once is
    built by the first while the others wait for its value, so a key is never built twice at
    the same time (``builds`` counts the builds). A build that fails is not kept (the next
    request builds again)."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, not {max_entries}")
        self.max_entries = max_entries
        self.builds = 0
        self._values: OrderedDict[K, V] = OrderedDict()
        self._building: dict[K, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: K, build: Callable[[], V]) -> V:
        """The value of ``key``, built with ``build`` unless kept (or being built)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self._values:  # built by the thread this one waited for
                    self._values.move_to_end(key)
                    return self._values[key]
                self.builds += 1
            try:
                value = build()
            except BaseException:
                with self._lock:
                    self._building.pop(key, None)
                raise
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.max_entries:
                    self._values.popitem(last=False)
                self._building.pop(key, None)
            return value

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._values

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def clear(self) -> None:
        """Forget every value (builds under way finish and are kept)."""
        with self._lock:
            self._values.clear()
