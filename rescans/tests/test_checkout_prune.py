"""Kept checkouts of projects a worker no longer re-scans are removed; a folder in use never is."""

from __future__ import annotations

import fcntl
import os
import time

from rescans import workspace
from rescans.sanitize import CHECKOUT_PREFIX

DAY = 86400


def kept(root, name: str, *, age_days: float) -> str:
    folder = root / name
    (folder / "repo").mkdir(parents=True)
    (folder / "repo" / "app.py").write_text("x = 1\n")
    for file in ("stamp", "lock"):
        (folder / file).write_text("")
        old = time.time() - age_days * DAY
        os.utime(folder / file, (old, old))
    return name


def test_clones_unused_for_long_are_removed_and_others_kept(tmp_path, settings):
    root = tmp_path / "checkouts"
    root.mkdir(mode=0o700)
    settings.SCAN_CHECKOUT_CACHE_DIR = str(root)
    stale = kept(root, f"{CHECKOUT_PREFIX}p1_{'a' * 12}", age_days=30)
    recent = kept(root, f"{CHECKOUT_PREFIX}p2_{'b' * 12}", age_days=1)
    busy = kept(root, f"{CHECKOUT_PREFIX}p3_{'c' * 12}", age_days=30)
    other = kept(root, "not-a-checkout", age_days=30)  # not ours: never touched

    fd = os.open(root / busy / "lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a re-scan holds it now
    try:
        assert workspace.prune_checkouts(unused_for_s=14 * DAY) == 1
    finally:
        os.close(fd)

    assert sorted(p.name for p in root.iterdir()) == sorted([recent, busy, other])
    assert not (root / stale).exists()
    assert workspace.prune_checkouts(unused_for_s=14 * DAY) == 1  # released: now it goes too
    assert sorted(p.name for p in root.iterdir()) == sorted([recent, other])


def test_without_a_cache_nothing_is_pruned(settings):
    settings.SCAN_CHECKOUT_CACHE_DIR = ""
    assert workspace.prune_checkouts() == 0
