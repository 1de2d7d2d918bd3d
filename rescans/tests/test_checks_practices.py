"""The checks analyzer and the practice components read a Dockerfile's user and a requirements
file's pins with the same rules (one implementation, in rescans.practices)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescans import practices
from rescans.scanners import RunLimits
from rescans.scanners.checks import ChecksScanner

LIMITS = RunLimits(timeout_s=60, max_output_bytes=10_000_000)


@pytest.mark.parametrize(
    ("dockerfile", "non_root"),
    [
        ("FROM python:3.12\nUSER\tapp\n", True),  # a tab after USER is still USER
        ("FROM python:3.12\nuser app:app\n", True),
        ("FROM python:3.12 AS build\nUSER app\nFROM python:3.12\nCOPY . .\n", False),  # last stage
        ("FROM python:3.12\nUSER 0\n", False),
        ("FROM python:3.12\nUSER\n", False),
    ],
)
def test_checks_and_practices_agree_on_who_a_dockerfile_runs_as(tmp_path: Path, dockerfile, non_root):
    (tmp_path / "Dockerfile").write_text(dockerfile)
    (tmp_path / "requirements.txt").write_text("django==5.2.8  # pinned\n-r base.txt\nrequests>=2\n")

    output = ChecksScanner().run(tmp_path, LIMITS, str(tmp_path))

    assert practices.drops_root(dockerfile) is non_root
    assert output.metrics["presence"]["dockerfile_non_root"] is non_root
    assert ("dockerfile-root" in {f.rule_id for f in output.findings}) is not non_root
    assert output.metrics["presence"]["pinned_requirements"] is False  # requests>=2 is a range


def test_a_kept_checkout_is_counted_again_only_where_files_changed(tmp_path: Path, monkeypatch):
    """The checks remember each code file's counts by file identity: a second run on the same
    folder reads only the files rewritten since, and its figures equal a first run's."""
    from rescans.scanners import checks

    (tmp_path / "app.py").write_text("x = 1\n\n# TODO: one\n")
    (tmp_path / "lib.py").write_text("y = 2\n")
    first = ChecksScanner().run(tmp_path, LIMITS, str(tmp_path))
    read: list[str] = []
    original = checks._count
    monkeypatch.setattr(checks, "_count", lambda path: read.append(Path(path).name) or original(path))

    (tmp_path / "app.py").write_text("x = 1\n\n# TODO: one\n# FIXME: two\nz = 3\n")
    second = ChecksScanner().run(tmp_path, LIMITS, str(tmp_path))

    assert read == ["app.py"]  # lib.py unchanged: not read again
    assert first.metrics["todo_count"] == 1 and second.metrics["todo_count"] == 2
    assert second.metrics["languages"]["Python"] == {"files": 2, "lines": 5}
    checks._MEMO.clear()
    assert ChecksScanner().run(tmp_path, LIMITS, str(tmp_path)).metrics == second.metrics
