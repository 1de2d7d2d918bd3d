"""Repository checkout for a re-scan: strict URL and branch rules, git without hooks or prompts.

Accepted repositories: `https://` URLs, `ssh://` URLs and scp-like `user@host:path`, and local
paths that lie under one of the folders of the SCAN_LOCAL_ROOTS setting. Everything else (the
`ext::` transport, `file://`, `git://`, options disguised as URLs) is refused before git runs.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from rescans.runner import run_command, safe_env


class RepositoryError(ValueError):
    """The repository URL or branch is not allowed, or git could not fetch it."""


SCP_LIKE_RE = re.compile(r"^(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9][A-Za-z0-9.-]*):(?P<path>[^:\s]+)$")
HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*(:\d{1,5})?$")
BRANCH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]*$")
CONTROL_RE = re.compile(r"[\x00-\x20\x7f]")
SHA_RE = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
GIT_TIMEOUT_S = 600
GIT_MAX_OUTPUT = 10 * 1024 * 1024


@dataclass(frozen=True)
class Repository:
    kind: str  # "https", "ssh" or "local"
    url: str  # what git is given (local paths become file:// URLs)


def local_roots() -> list[Path]:
    return [Path(root).resolve() for root in getattr(settings, "SCAN_LOCAL_ROOTS", []) if root.strip()]


def validate_repository_url(url: str) -> Repository:
    url = (url or "").strip()
    if not url:
        raise RepositoryError("The project has no repository URL.")
    if CONTROL_RE.search(url):
        raise RepositoryError("The repository URL contains spaces or control characters.")
    if url.startswith("-"):
        raise RepositoryError("The repository URL must not start with '-'.")
    if "::" in url.split("/", 1)[0] or url.lower().startswith("ext:"):
        raise RepositoryError("Git remote helpers ('transport::address', e.g. ext::) are refused.")
    if url.startswith("/"):
        return Repository("local", _local_url(url))
    if match := SCP_LIKE_RE.match(url):
        if match["host"].startswith("-") or match["path"].startswith("-"):
            raise RepositoryError("The repository URL must not contain options.")
        return Repository("ssh", url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "ssh"):
        raise RepositoryError(
            f"Repository scheme {scheme + '://' if scheme else repr(url)} is not allowed: use https://, "
            "ssh:// (or user@host:path), or a local path under SCAN_LOCAL_ROOTS."
        )
    host = parts.netloc.rsplit("@", 1)[-1]
    if not host or not HOST_RE.match(host):
        raise RepositoryError("The repository URL has no valid host name.")
    if not parts.path or parts.path == "/":
        raise RepositoryError("The repository URL has no repository path.")
    return Repository(scheme, url)


def _local_url(path: str) -> str:
    roots = local_roots()
    if not roots:
        raise RepositoryError("Local repository paths are disabled (SCAN_LOCAL_ROOTS is empty).")
    resolved = Path(path).resolve()
    if not any(resolved == root or root in resolved.parents for root in roots):
        raise RepositoryError("The local repository path is not under one of SCAN_LOCAL_ROOTS.")
    if not resolved.is_dir():
        raise RepositoryError("The local repository path does not exist.")
    return resolved.as_uri()


def validate_branch(branch: str) -> str:
    branch = (branch or "").strip() or "main"
    if (
        not BRANCH_RE.match(branch)
        or ".." in branch
        or "//" in branch
        or "/." in branch
        or branch.endswith(("/", ".", ".lock"))
        or "@{" in branch
        or len(branch) > 200
    ):
        raise RepositoryError(f"Branch name {branch[:60]!r} is not a valid git branch name.")
    return branch


def redact(text: str) -> str:
    """Hide credentials embedded in URLs (the part between "://" and "@") in messages and logs."""
    return re.sub(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@", r"\1***@", text)


def git_command(repo: Repository, *args: str) -> list[str]:
    config = [
        "core.hooksPath=/dev/null",
        "core.fsmonitor=false",
        "credential.helper=",
        "protocol.allow=never",
        "protocol.https.allow=always",
        "protocol.ssh.allow=always",
        "submodule.recurse=false",
        "transfer.fsckObjects=true",
        "advice.detachedHead=false",
    ]
    if repo.kind == "local":
        config += ["protocol.file.allow=always", "safe.directory=*"]
    command = ["git"]
    for item in config:
        command += ["-c", item]
    return command + list(args)


def ssh_command() -> str:
    """ssh for git: batch mode (never prompts); the deploy key and known hosts from settings.

    git passes this string to a shell, so every path in it is quoted."""
    parts = ["ssh", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]
    key = getattr(settings, "SCAN_SSH_KEY_FILE", "")
    known_hosts = getattr(settings, "SCAN_SSH_KNOWN_HOSTS_FILE", "")
    if key:
        parts += ["-i", key]
    if known_hosts:
        parts += ["-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes"]
    else:
        parts += ["-o", "StrictHostKeyChecking=accept-new"]
    return " ".join(shlex.quote(p) for p in parts)


def git_env(home: str) -> dict[str, str]:
    env = safe_env(home)
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "/bin/false",
            "SSH_ASKPASS": "/bin/false",
            "GIT_SSH_COMMAND": ssh_command(),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_PROTOCOL_FROM_USER": "0",
        }
    )
    return env


def _git(repo: Repository, args: list[str], cwd: str, home: str) -> str:
    result = run_command(
        git_command(repo, *args),
        cwd=cwd,
        timeout_s=GIT_TIMEOUT_S,
        max_output_bytes=GIT_MAX_OUTPUT,
        env=git_env(home),
    )
    if result.returncode != 0:
        reason = "timed out" if result.timed_out else f"failed ({redact(result.stderr_tail.strip())[-500:]})"
        raise RepositoryError(f"git {args[0]} {reason}")
    return result.stdout.decode("utf-8", "replace")


def remote_head(*, url: str, branch: str) -> str:
    """The commit the branch points to on the remote, without cloning (git ls-remote)."""
    repo = validate_repository_url(url)
    branch = validate_branch(branch)
    with tempfile.TemporaryDirectory(prefix="auditor-git-") as home:
        out = _git(repo, ["ls-remote", "--heads", "--", repo.url, f"refs/heads/{branch}"], home, home)
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}" and SHA_RE.match(sha):
            return sha
    raise RepositoryError(f"Branch {branch!r} was not found in the repository.")


@dataclass
class Checkout:
    path: Path
    commit_sha: str
    home: str  # a throw-away HOME for the scanners


@contextmanager
def checkout(*, url: str, branch: str) -> Iterator[Checkout]:
    """Clone the branch (shallow) into a fresh temporary folder; removed on exit, whatever happens."""
    repo = validate_repository_url(url)
    branch = validate_branch(branch)
    base = tempfile.mkdtemp(prefix="auditor-scan-")
    try:
        home = os.path.join(base, "home")
        os.mkdir(home)
        target = os.path.join(base, "repo")
        _git(
            repo,
            [
                "clone",
                "--quiet",
                "--depth",
                "1",
                "--single-branch",
                "--no-tags",
                "--branch",
                branch,
                "--",
                repo.url,
                target,
            ],
            base,
            home,
        )
        sha = _git(repo, ["rev-parse", "HEAD"], target, home).strip()
        if not SHA_RE.match(sha):
            raise RepositoryError("git rev-parse did not print a commit SHA.")
        yield Checkout(path=Path(target), commit_sha=sha, home=home)
    finally:
        shutil.rmtree(base, ignore_errors=True)
