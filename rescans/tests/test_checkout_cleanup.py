"""The checkout is gone when the re-scan ends; the files are deleted in the background."""

from __future__ import annotations

import time
from pathlib import Path

from rescans import workspace
from rescans.tests.scanrepo import make_repo


def test_the_checkout_leaves_at_once_and_is_deleted_soon_after(tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    repo = make_repo(tmp_path / "repo", {f"pkg/m{i}.py": "x = 1\n" for i in range(50)})
    with workspace.checkout(url=str(repo), branch="main") as co:
        base = co.path.parent
    assert not base.exists()
    trash = Path(f"{base}-removing")
    deadline = time.monotonic() + 30
    while trash.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not trash.exists()


def test_a_folder_that_cannot_be_renamed_is_deleted_in_place(tmp_path):
    folder = tmp_path / "auditor-scan-x"
    (folder / "repo").mkdir(parents=True)
    (tmp_path / "auditor-scan-x-removing").mkdir()
    (tmp_path / "auditor-scan-x-removing" / "keep").write_text("occupied")  # rename target taken
    workspace.remove_later(str(folder))
    assert not folder.exists()
