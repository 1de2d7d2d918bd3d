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
