"""The Bandit runner gives what Bandit's own command line gives, byte for byte but the timestamp."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from rescans.runner import tool_path
from rescans.scanners.bandit import RUNNER

ROOT = Path(__file__).resolve().parents[2]

# One module per family of Bandit tests: calls, imports, strings and bytes, function
# definitions (defaults that look like passwords), exception handlers, asserts, and code
# nested in classes, async functions, lambdas, comprehensions and decorators.
SOURCES = {
    "app/calls.py": """
        import hashlib, os, pickle, random, subprocess, tempfile
        import requests, yaml
        from subprocess import Popen as P

        def run(cmd, data, url):
            subprocess.call(cmd, shell=True)
            P(["ls", cmd])
            os.system("ls " + cmd)
            os.popen(cmd)
            eval(data)
            exec(data)
            pickle.loads(data)
            yaml.load(data)
            hashlib.md5(data).hexdigest()
            hashlib.sha1(data, usedforsecurity=False)
            requests.get(url, verify=False)
            requests.post(url, timeout=None)
            tempfile.mktemp()
            return random.random(), [random.choice(x) for x in data if x]
    """,
    "app/imports.py": """
        import telnetlib
        import ftplib as f
        from xml.etree import ElementTree
        from xml.dom.minidom import parseString
        import marshal, shelve
        from Crypto.Cipher import DES
        from . import sibling

        def parse(text):
            return ElementTree.fromstring(text), parseString(text), marshal.loads(text)
    """,
    "app/strings.py": '''
        """Module docstring with SELECT * FROM users WHERE id = 1."""
        PASSWORD = "hunter2"
        TOKEN = b"\\x00secret-bytes"
        QUERY = "SELECT * FROM users WHERE name = '%s'" % "x"

        def login(user, password="default-pass", *, secret_key="k3y"):
            """Docstring: not a query."""
            if password == "letmein":
                return True
            sql = f"DELETE FROM t WHERE id = {user}"
            query = "UPDATE t SET a = 1 WHERE b = " + user
            bind = ("0.0.0.0", 8080)
            path = "/tmp/upload"
            return sql, query, bind, path
    ''',
    "app/flow.py": """
        import logging, ssl, jinja2
        from flask import Flask

        app = Flask(__name__)

        class Service:
            key = "a-hard-coded-key"

            @staticmethod
            def handler(values):
                try:
                    values.pop()
                except Exception:
                    pass
                while True:
                    try:
                        break
                    except ValueError:
                        continue
                assert values, "values"
                return lambda v: v if v else None

            async def fetch(self, session, url):
                async with session.get(url, ssl=False) as response:
                    return await response.text()

        def tls():
            ssl.wrap_socket(None, ssl_version=ssl.PROTOCOL_SSLv3)
            return jinja2.Environment(autoescape=False)

        if __name__ == "__main__":
            logging.basicConfig()
            app.run(debug=True)
    """,
    "app/silenced.py": """
        import subprocess

        def quiet(cmd):
            subprocess.call(cmd, shell=True)  # nosec
            subprocess.call(cmd, shell=True)  # nosec B602
            subprocess.call(cmd, shell=True)  # nosec B101
            assert cmd  # nosec: assert_used
    """,
    "app/broken.py": "def broken(:\n    pass\n",
    # Bidirectional control characters (B613): the runner reads only files that hold one.
    "app/bidi.py": """
        access = "user\u202e \u2066# admin\u2069 \u2066"
        note = "plain"
    """,
}


def _write(root: Path) -> None:
    for name, text in SOURCES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def _report(command: list[str], cwd: Path, out: Path) -> dict[str, object]:
    result = subprocess.run([*command, "-o", str(out)], cwd=cwd, capture_output=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr.decode()
    data: dict[str, object] = json.loads(out.read_text())
    data.pop("generated_at")
    return data


def _both(cwd: Path, tmp_path: Path, args: list[str]) -> tuple[dict[str, object], dict[str, object]]:
    ini = tmp_path / "bandit.ini"
    ini.write_text("[bandit]\n")
    common = ["--ini", str(ini), "-f", "json", "-q", *args]
    plain = _report([tool_path("bandit"), *common], cwd, tmp_path / "plain.json")
    runner = _report([sys.executable, "-I", str(RUNNER), *common], cwd, tmp_path / "runner.json")
    return plain, runner


@pytest.mark.parametrize("nosec", [["--ignore-nosec"], []], ids=["ignore-nosec", "honour-nosec"])
def test_runner_reports_what_bandit_reports_on_written_code(tmp_path: Path, nosec: list[str]) -> None:
    repo = tmp_path / "repo"
    _write(repo)
    plain, runner = _both(repo, tmp_path, [*nosec, "-r", "app"])
    results = plain["results"]
    assert isinstance(results, list)
    # The sample exercises many kinds of tests, and a file Bandit cannot parse.
    assert len({item["test_id"] for item in results}) >= 20
    assert "B613" in {item["test_id"] for item in results}
    assert plain["errors"]
    assert runner == plain


def test_runner_reports_what_bandit_reports_on_real_code(tmp_path: Path) -> None:
    """auditor's own analyzers and importers: real code nobody shaped for this test."""
    plain, runner = _both(ROOT, tmp_path, ["--ignore-nosec", "-r", "rescans", "findings"])
    totals = plain["metrics"]
    assert isinstance(totals, dict)
    assert totals["_totals"]["loc"] > 10_000
    assert plain["results"]
    assert runner == plain


def test_tests_from_outside_bandit_each_get_their_own_copy_of_the_context() -> None:
    """The runner shares a node's context between Bandit's own tests, which only read it; a test
    of another origin may write to it, and then gets its own copy, as with Bandit."""
    from rescans.scanners.bandit_runner import LeanTester

    seen: list[object] = []

    def writes(context: Any) -> None:
        context._context["lineno"] = 999

    def reads(context: Any) -> None:
        seen.append(context._context["lineno"])

    class TestSet:
        tests = {"Call": [writes, reads]}

        def get_tests(self, checktype: str) -> list[Any]:
            return self.tests[checktype]

    tester = LeanTester(TestSet(), False, {}, None)
    assert not tester.share_context
    tester.run_tests({"lineno": 3, "filename": "a.py", "file_data": None}, "Call")
    assert seen == [3]
    tester.share_context = True  # as for Bandit's own tests: the write would show
    tester.run_tests({"lineno": 3, "filename": "a.py", "file_data": None}, "Call")
    assert seen == [3, 999]
