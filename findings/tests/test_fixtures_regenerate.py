"""The committed fixtures are what the real tools produce: regenerating gives the same results."""

import subprocess
import sys

import pytest

from findings.importers import parse_scan
from findings.tests.helpers import FIXTURES

pytestmark = pytest.mark.slow


def _summary(content: bytes):
    report = parse_scan(content)
    return (
        report.format,
        sorted((f.rule_id, f.file_path.rsplit("/", 1)[-1], f.line) for f in report.findings),
        {k: v for k, v in report.metrics.items() if k not in ("tests_duration_seconds", "extra")},
    )


def test_regenerating_the_fixtures_with_the_real_tools_gives_the_same_reports(tmp_path):
    subprocess.run(
        [sys.executable, str(FIXTURES / "regenerate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    names = [
        "bandit_v1.json",
        "bandit_v2.json",
        "ruff_v1.sarif",
        "ruff_v2.sarif",
        "coverage.xml",
        "junit.xml",
    ]
    for name in names:
        assert _summary((tmp_path / name).read_bytes()) == _summary((FIXTURES / name).read_bytes())
