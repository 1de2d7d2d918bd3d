"""What a re-scan read from each file of the last checkouts a worker scanned, by file identity.

A worker keeps each project's checkout between re-scans (`workspace.checkout`); git rewrites only
the files that changed, so what was read or computed from an unchanged file can be used again
(the inventory's facts, the checks' counts, Ruff's parsed findings). A file's identity includes
its change time, which no program can set: an unchanged identity is unchanged content.
`kept_memos` keeps a checkout's memory on disk beside it, for the host's other processes.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Generic, TypeVar

V = TypeVar("V")
Identity = tuple[int, ...]


def identity_of(info: os.stat_result) -> Identity:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_mode)


def file_identity(path: str | Path) -> Identity | None:
    """The identity of the file itself (a link is not followed); None when it is gone."""
    try:
        return identity_of(os.lstat(path))
    except OSError:
        return None


class CheckoutMemo(Generic[V]):
    """Per checkout folder (the last `checkouts` used, by real path): file path -> (identity,
    value). A value is to be used only while the file's identity is the one stored with it."""

    def __init__(self, checkouts: int = 8) -> None:
        self.checkouts = checkouts
        self._memo: OrderedDict[str, dict[str, tuple[Identity, V]]] = OrderedDict()
        self._lock = threading.Lock()

    def files(self, root: str | Path) -> dict[str, tuple[Identity, V]]:
        """The checkout's memo, read and updated in place by its one run at a time (the kept
        checkout's lock); the least recently used checkouts beyond `checkouts` are forgotten."""
        key = os.path.realpath(root)
        with self._lock:
            memo = self._memo.pop(key, {})
            self._memo[key] = memo
            while len(self._memo) > self.checkouts:
                self._memo.popitem(last=False)
        return memo

    def get(self, memo: dict[str, tuple[Identity, V]], path: str, identity: Identity | None) -> V | None:
        """The value kept for `path` if its identity is unchanged (None otherwise)."""
        known = memo.get(path)
        if identity is None or known is None or known[0] != identity:
            return None
        return known[1]

    def snapshot(self, root: str | Path) -> dict[str, tuple[Identity, V]]:
        """The checkout's memo as this process has it ({} when it has none)."""
        with self._lock:
            return self._memo.get(os.path.realpath(root), {})

    def adopt(self, root: str | Path, files: dict[str, tuple[Identity, V]]) -> bool:
        """Take `files` as the checkout's memo unless this process has one of its own (a
        memo read back from disk, see `kept_memos`); True when taken."""
        key = os.path.realpath(root)
        with self._lock:
            if self._memo.get(key):
                return False
            self._memo.pop(key, None)
            self._memo[key] = files
            while len(self._memo) > self.checkouts:
                self._memo.popitem(last=False)
        return True

    def clear(self) -> None:
        with self._lock:
            self._memo.clear()
