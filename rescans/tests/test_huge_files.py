"""Hostile input: a repository that commits huge files (a generated module, a one-line bundle,
a data dump). The analyzers never read them whole: the inventory leaves them out and says how
many, every analyzer still measures the rest, and the re-scan stays within its limits."""

from __future__ import annotations

from pathlib import Path

from rescans.execution import run_scanners
from rescans.practices import MAX_FILE_BYTES
from rescans.scanners import enabled_scanners
from rescans.tests.scanrepo import make_repo

APP = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


def huge_repository(root: Path) -> Path:
    lines = "".join(f'VALUE_{i} = "{i * 7919 % 1000003:x}" + str({i})\n' for i in range(400_000))
    one_line = "var a=" + "1+" * 3_000_000 + "1;"  # a minified bundle: no newline for 6 MB
    repo = make_repo(
        root,
        {
            "app/service.py": APP,
            "app/generated.py": lines,
            "static/bundle.js": one_line,
            "README.md": "# Huge\n",
        },
    )
    assert (repo / "app/generated.py").stat().st_size > 5 * MAX_FILE_BYTES
    return repo


def test_huge_files_are_left_out_and_the_rest_is_still_measured(tmp_path):
    repo = huge_repository(tmp_path / "repo")
    home = tmp_path / "home"
    home.mkdir()

    result = run_scanners(enabled_scanners([]), repo, str(home))

    assert result.inventory is not None
    assert [f.path for f in result.inventory.files] == ["app/service.py"]
    assert result.inventory.details["skipped_large_files"] == 2
    failed = {name: part for name, part in result.parts.items() if part["status"] != "ok"}
    assert not failed
    found = {(o.scanner, f.file_path) for o in result.outputs for f in o.findings}
    assert ("bandit", "app/service.py") in found  # the shell call is still found
    assert not {path for _scanner, path in found if path in {"app/generated.py", "static/bundle.js"}}
