"""Built-in counters and presence checks: read files, never run them.

Counts files and lines of code per language and TODO/FIXME markers, and checks for a README, a
tests folder, a CI configuration, a Dockerfile that drops root, a lock or pinned requirements
file, and a committed `.env` holding secrets. Each missing good practice is a finding, so it
becomes "fixed" when the repository gains it.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections import Counter
from pathlib import Path

from findings.importers import ScanFinding
from rescans import practices
from rescans.file_memo import CheckoutMemo, file_identity, identity_of
from rescans.languages import LINE_METRIC_LANGUAGE_BY_EXTENSION
from rescans.scanners.base import RunLimits, Scanner, ScannerError, ScannerOutput, scan_finding

SKIP_DIRS = {
    ".git",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".ruff_cache",
    "dist",
    "build",
    ".eggs",
}
MAX_FILE_BYTES = 2 * 1024 * 1024
TODO_RE = re.compile(rb"\b(TODO|FIXME)\b")
LOCK_FILES = {
    "poetry.lock",
    "Pipfile.lock",
    "uv.lock",
    "pdm.lock",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "Cargo.lock",
    "go.sum",
    "Gemfile.lock",
    "composer.lock",
}
CI_PATHS = (
    ".github/workflows",
    ".gitlab-ci.yml",
    ".circleci",
    "Jenkinsfile",
    "azure-pipelines.yml",
    ".travis.yml",
    "bitbucket-pipelines.yml",
    ".drone.yml",
    ".woodpecker.yml",
    ".ci",
)
SECRET_KEY_RE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")
SECRET_NAME_RE = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL", re.I)
PLACEHOLDER_RE = re.compile(r"^(|changeme|change-me|xxx+|<.*>|\$\{.*\}|your[-_].*|example.*)$", re.I)


class ChecksScanner(Scanner):
    name = "checks"
    tool = "auditor-checks"
    domain = "architecture"

    def run(self, workspace: Path, limits: RunLimits, home: str) -> ScannerOutput:
        started = time.monotonic()
        files: list[str] = []  # on disk
        rel: list[str] = []  # as the repository names them
        base = str(workspace)
        for root, dirs, names in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            prefix = os.path.relpath(root, base).replace(os.sep, "/")
            prefix = "" if prefix == "." else prefix + "/"
            for name in sorted(names):
                files.append(os.path.join(root, name))
                rel.append(prefix + name)
            if time.monotonic() - started > limits.timeout_s:
                raise ScannerError(f"checks: timed out after {limits.timeout_s:g} s", timed_out=True)

        lines_by_language: Counter[str] = Counter()
        files_by_language: Counter[str] = Counter()
        todo_count = 0
        for _path, language, counted in _code_counts(base, files, rel):
            files_by_language[language] += 1
            lines_by_language[language] += counted[0]
            todo_count += counted[1]

        findings: list[ScanFinding] = []
        presence = {
            "readme": any(re.fullmatch(r"readme(\.[a-z]+)?", n, re.I) for n in rel),
            "tests": _has_tests(rel),
            "ci": any(n == p or n.startswith(p + "/") for n in rel for p in CI_PATHS),
            "dockerfile": any(_name(n).startswith("Dockerfile") for n in rel),
            "dockerfile_non_root": False,
            "lock_file": any(_name(n) in LOCK_FILES for n in rel),
            "pinned_requirements": False,
            "env_file_with_secrets": False,
        }
        dockerfiles = [workspace / n for n in rel if _name(n).startswith("Dockerfile")]
        presence["dockerfile_non_root"] = bool(dockerfiles) and all(_drops_root(p) for p in dockerfiles)
        requirement_files = [n for n in rel if re.fullmatch(r"requirements[\w\-.]*\.txt", _name(n))]
        presence["pinned_requirements"] = bool(requirement_files) and all(
            _all_pinned(workspace / n) for n in requirement_files
        )
        env_files = [
            n
            for n in rel
            if _name(n) == ".env" or re.fullmatch(r"\.env\.(?!example|sample|template|dist)[\w.-]+", _name(n))
        ]
        secret_env = [(n, key) for n in env_files for key in _secret_keys(workspace / n)]
        presence["env_file_with_secrets"] = bool(secret_env)

        if not presence["readme"]:
            findings.append(
                _finding(
                    "no-readme",
                    "No README at the root of the repository",
                    "low",
                    "documentation",
                    "Add a README: purpose, set-up, how to run it.",
                )
            )
        if not presence["tests"]:
            findings.append(
                _finding(
                    "no-tests",
                    "No tests folder or test files",
                    "high",
                    "testing",
                    "No automated test was found (tests/, test_*.py, *_test.go, ...).",
                )
            )
        if not presence["ci"]:
            findings.append(
                _finding(
                    "no-ci",
                    "No CI configuration",
                    "medium",
                    "deployment",
                    "No CI pipeline definition was found (GitHub Actions, GitLab CI, ...).",
                )
            )
        for dockerfile in dockerfiles:
            if not _drops_root(dockerfile):
                name = dockerfile.relative_to(workspace).as_posix()
                findings.append(
                    _finding(
                        "dockerfile-root",
                        f"{name} runs as root",
                        "medium",
                        "deployment",
                        "Add a USER instruction with a non-root user.",
                        file_path=name,
                    )
                )
        if not presence["lock_file"] and not presence["pinned_requirements"]:
            findings.append(
                _finding(
                    "no-lock-file",
                    "Dependencies are neither locked nor pinned",
                    "low",
                    "deployment",
                    "Commit a lock file or pin every requirement (==).",
                )
            )
        for name, key in secret_env:
            findings.append(
                _finding(
                    "env-file-secret",
                    f"{name} commits a value for {key}",
                    "high",
                    "security",
                    "A .env file with secrets is committed; revoke the "
                    "values, remove the file and load secrets from the environment.",
                    file_path=name,
                )
            )

        metrics = {
            "files_count": len(files),
            "lines_of_code": sum(lines_by_language.values()),
            "languages": {
                lang: {"files": files_by_language[lang], "lines": lines_by_language[lang]}
                for lang in sorted(lines_by_language, key=lambda k: -lines_by_language[k])
            },
            "todo_count": todo_count,
            "presence": presence,
        }
        return ScannerOutput(
            scanner=self.name,
            tool=self.tool,
            report=self.report(findings),
            metrics=metrics,
            duration_s=time.monotonic() - started,
        )


def _finding(
    rule_id: str, title: str, severity: str, domain: str, description: str, file_path: str = ""
) -> ScanFinding:
    return scan_finding(
        tool=ChecksScanner.tool,
        rule_id=rule_id,
        title=title,
        severity=severity,
        domain=domain,
        description=description,
        file_path=file_path,
        stable_id=f"{rule_id}:{file_path}",
    )


# What the checks counted in each code file of the last checkouts (file_memo): a re-scan of a
# kept checkout reads again only the files git rewrote.
_Counted = tuple[int, int] | None  # (non-blank lines, TODO/FIXME marks); None: not read
_MEMO: CheckoutMemo[_Counted] = CheckoutMemo()


def _count(path: str) -> _Counted:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    return sum(map(bool, map(bytes.strip, data.splitlines()))), len(TODO_RE.findall(data))


def _code_counts(base: str, files: list[str], rel: list[str]) -> list[tuple[str, str, tuple[int, int]]]:
    """(path, language, (lines, marks)) of each code file that is read: not a link, not over
    MAX_FILE_BYTES, readable; from the memo when the file's identity is unchanged."""
    memo = _MEMO.files(base)
    result = []
    for path, rel_path in zip(files, rel, strict=True):
        language = LINE_METRIC_LANGUAGE_BY_EXTENSION.get(os.path.splitext(path)[1].lower())
        if language is None:
            continue
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISLNK(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            continue
        identity = identity_of(info)
        counted = _MEMO.get(memo, rel_path, identity)
        if counted is None:
            counted = _count(path)
            if identity == file_identity(path):  # not rewritten while it was read
                memo[rel_path] = (identity, counted)
        if counted is not None:
            result.append((rel_path, language, counted))
    return result


def _name(rel: str) -> str:
    """The file name of a repository path (Path(rel).name, without building a Path)."""
    return rel.rpartition("/")[2]


def _has_tests(rel: list[str]) -> bool:
    for name in rel:
        parts = name.split("/")
        if any(p in {"tests", "test", "__tests__", "spec"} for p in parts[:-1]):
            return True
        base = parts[-1]
        if re.fullmatch(r"(test_.+\.py|.+_test\.(py|go)|.+\.(test|spec)\.[jt]sx?)", base):
            return True
    return False


def _drops_root(dockerfile: Path) -> bool:
    return practices.drops_root(practices.read_text(dockerfile))


def _all_pinned(path: Path) -> bool:
    return practices.pinned(practices.read_text(path))


def _secret_keys(path: Path) -> list[str]:
    keys = []
    for line in practices.read_text(path).splitlines():
        match = SECRET_KEY_RE.match(line)
        if not match or not SECRET_NAME_RE.search(match.group(1)):
            continue
        value = match.group(2).strip().strip("'\"")
        if not PLACEHOLDER_RE.match(value):
            keys.append(match.group(1))
    return keys
