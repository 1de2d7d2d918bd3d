"""Test helper: a real git repository with known Bandit issues, a committed fake secret, no tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

# Built at run time so this file itself holds no secret-looking literal.
FAKE_AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLF"

APP_V1 = f'''import hashlib
import pickle
import subprocess

AWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY}"


def run(cmd):
    return subprocess.call(cmd, shell=True)


def load(data):
    return pickle.loads(data)


def digest(data):
    return hashlib.md5(data).hexdigest()


def compute(expr):
    return eval(expr)
'''

# Fixes two issues: the MD5 digest (B324, high) and eval (B307, medium).
APP_V2 = f'''import hashlib
import pickle
import subprocess

AWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY}"


def run(cmd):
    return subprocess.call(cmd, shell=True)


def load(data):
    return pickle.loads(data)


def digest(data):
    return hashlib.sha256(data).hexdigest()


def compute(expr):
    return int(expr)
'''

GIT_ID = ["-c", "user.email=dev@example.com", "-c", "user.name=Dev", "-c", "commit.gpgsign=false"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *GIT_ID, *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    commit(path, files or {"app.py": APP_V1, "README.md": "# Demo\n"}, "first commit")
    return path


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")
