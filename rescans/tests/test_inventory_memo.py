"""The inventory of a checkout walked again (a kept checkout) reads only the files that changed,
and describes the checkout exactly as a first walk does."""

from __future__ import annotations

import dataclasses
import os

from rescans import inventory
from rescans.inventory import build_inventory, walk
from rescans.tests.analyzer_repos import write

FILES = {
    "README.md": "# Demo\n",
    "app/main.py": "import logging\n\n\ndef main():\n    return 1\n",
    "app/views.py": "def index():\n    return 'ok'\n",
    "tests/test_main.py": "def test_it():\n    assert True\n",
    "web/app.js": "console.log(1)\n",
}


def described(inv: inventory.Inventory) -> dict[str, object]:
    data = dataclasses.asdict(inv)
    data.pop("duration_s")
    return data


def first_walk(root) -> dict[str, object]:
    """The inventory as a walk that remembers nothing sees it."""
    inventory._MEMO.clear()
    return described(build_inventory(root))


def test_a_second_walk_describes_the_same_checkout_alike(tmp_path):
    root = write(tmp_path / "repo", FILES)
    assert described(build_inventory(root)) == described(build_inventory(root)) == first_walk(root)


def test_a_changed_file_is_read_again_even_with_its_size_and_time_kept(tmp_path):
    root = write(tmp_path / "repo", FILES)
    build_inventory(root)
    target = root / "app" / "views.py"
    before = os.stat(target)
    # Same size, same modification time: only the change time (which no program sets) differs.
    target.write_text("\n" * before.st_size)  # now blank: no line of code left
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))

    again = described(build_inventory(root))
    assert again == first_walk(root)
    views = next(f for f in again["files"] if f["path"] == "app/views.py")
    assert views["lines"] == 0


def test_added_and_deleted_files_are_seen(tmp_path):
    root = write(tmp_path / "repo", FILES)
    build_inventory(root)
    (root / "app" / "views.py").unlink()
    (root / "app" / "health.py").write_text("import logging\nimport structlog\n\n\ndef run():\n    pass\n")

    again = described(build_inventory(root))
    assert again == first_walk(root)
    paths = {f["path"] for f in again["files"]}
    assert "app/health.py" in paths and "app/views.py" not in paths


def test_the_walk_lists_folders_before_their_subfolders_in_name_order_without_links(tmp_path):
    root = write(tmp_path / "repo", {"b.py": "", "a/z.py": "", "a/b/c.py": "", "a.py": "", ".git/x": ""})
    (root / "link.py").symlink_to(root / "a.py")
    (root / "linked").symlink_to(root / "a")
    assert walk(root) == ["a.py", "b.py", "a/z.py", "a/b/c.py"]
