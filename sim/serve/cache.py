"""A thread-safe least-recently-used cache bounded by bytes, not by entries."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import fields, is_dataclass
from typing import Any

import numpy as np


def nbytes_of(obj: Any, _depth: int = 0) -> int:
    """Bytes held by ``obj``'s arrays and strings (lists, tuples, dicts and dataclasses are
    walked; other objects count as small). An estimate of what dropping it frees."""
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, (str, bytes)):
        return len(obj)
    if _depth > 8:
        return 64
    if isinstance(obj, dict):
        return 64 + sum(nbytes_of(k, _depth + 1) + nbytes_of(v, _depth + 1)
                        for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return 56 + sum(nbytes_of(v, _depth + 1) for v in obj)
    if is_dataclass(obj) and not isinstance(obj, type):
        return 64 + sum(nbytes_of(getattr(obj, f.name), _depth + 1) for f in fields(obj))
    return 64


class SizedCache:
    """``get``/``put`` by key, the least recently used entries evicted beyond ``capacity``
    bytes (each entry's size is given when it is put)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = int(capacity)
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    @property
    def nbytes(self) -> int:
        return self._bytes

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return default
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: Any, nbytes: int | None = None) -> None:
        """Keep ``value`` (``nbytes``: its size, measured with :func:`nbytes_of` if not
        given); an entry larger than the whole capacity is not kept."""
        size = nbytes_of(value) if nbytes is None else int(nbytes)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if size > self.capacity:
                return
            self._items[key] = (value, size)
            self._bytes += size
            self._trim(self.capacity)

    def evict_to(self, nbytes: int) -> int:
        """Drop the least recently used entries until at most ``nbytes`` are held; the bytes
        dropped."""
        with self._lock:
            before = self._bytes
            self._trim(nbytes)
            return before - self._bytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def _trim(self, nbytes: int) -> None:
        while self._items and self._bytes > nbytes:
            _, (_, size) = self._items.popitem(last=False)
            self._bytes -= size
