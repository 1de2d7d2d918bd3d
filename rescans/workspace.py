"""Repository checkout for a re-scan: strict URL and branch rules, git without hooks or prompts.

Accepted repositories: `https://` URLs, `ssh://` URLs and scp-like `user@host:path` (on the
hosts of SCAN_ALLOWED_HOSTS when it is set), and local paths that lie under one of the folders
of the SCAN_LOCAL_ROOTS setting. Everything else (the `ext::` transport, `file://`, `git://`,
options disguised as URLs) is refused before git runs.

Credentials of an https repository never appear on git's command line or in the clone's
configuration: git gets them as an HTTP header scoped to that host, through its environment.
After the clone, every symbolic link is removed from the checkout before any analyzer runs.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shlex
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings

from projects.models import repository_origin, split_repository_credentials
from rescans.runner import run_command, safe_env
from rescans.sanitize import CHECKOUT_PREFIX, clean_text

logger = logging.getLogger(__name__)


class RepositoryError(ValueError):
    """The repository URL or branch is not allowed, or git could not fetch it."""


SCP_LIKE_RE = re.compile(r"^(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9][A-Za-z0-9.-]*):(?P<path>[^:\s]+)$")
HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*(:\d{1,5})?$")
BRANCH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]*$")
CONTROL_RE = re.compile(r"[\x00-\x20\x7f]")
SHA_RE = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
GIT_TIMEOUT_S = 600
GIT_MAX_OUTPUT = 10 * 1024 * 1024
LINKS_LISTED = 20  # links named in the run's note; the rest are counted


@dataclass(frozen=True)
class Repository:
    kind: str  # "https", "ssh" or "local"
    url: str  # what git is given (local paths become file:// URLs)


def local_roots() -> list[Path]:
    return [Path(root).resolve() for root in settings.SCAN_LOCAL_ROOTS if root.strip()]


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
        if any(match[part].startswith("-") for part in ("user", "host", "path")):
            raise RepositoryError("The repository URL must not contain options (a part starting with '-').")
        _check_allowed_host(match["host"])
        return Repository("ssh", url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "ssh"):
        raise RepositoryError(
            f"Repository scheme {scheme + '://' if scheme else repr(url)} is not allowed: use https://, "
            "ssh:// (or user@host:path), or a local path under SCAN_LOCAL_ROOTS."
        )
    userinfo, _, host = parts.netloc.rpartition("@")
    if not host or not HOST_RE.match(host):
        raise RepositoryError("The repository URL has no valid host name.")
    if not parts.path or parts.path == "/":
        raise RepositoryError("The repository URL has no repository path.")
    if userinfo.startswith("-") or any(segment.startswith("-") for segment in parts.path.split("/")):
        raise RepositoryError("The repository URL must not contain options (a part starting with '-').")
    if scheme == "ssh" and ":" in userinfo:
        raise RepositoryError("An ssh URL cannot carry a password: use the deploy key (SCAN_SSH_KEY_FILE).")
    _check_allowed_host(parts.hostname or "")
    return Repository(scheme, url)


def allowed_hosts() -> list[str]:
    return [h.strip().lower() for h in settings.SCAN_ALLOWED_HOSTS if h.strip()]


def _check_allowed_host(host: str) -> None:
    """SCAN_ALLOWED_HOSTS: empty allows any host; "example.com" allows that host only,
    ".example.com" that host and its subdomains."""
    allowed = allowed_hosts()
    name = host.lower().split(":")[0]
    if not allowed or any(
        name == entry.lstrip(".") or (entry.startswith(".") and name.endswith(entry)) for entry in allowed
    ):
        return
    raise RepositoryError(
        f"Host {name!r} is not among the hosts re-scans may clone from (SCAN_ALLOWED_HOSTS: "
        f"{', '.join(allowed)})."
    )


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
    if branch.startswith("-"):
        raise RepositoryError(
            f"Branch name {branch[:60]!r} is not a valid git branch name (starts with '-')."
        )
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
    key = settings.SCAN_SSH_KEY_FILE
    known_hosts = settings.SCAN_SSH_KNOWN_HOSTS_FILE
    if key:
        parts += ["-i", key]
    if known_hosts:
        parts += ["-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes"]
    else:
        parts += ["-o", "StrictHostKeyChecking=accept-new"]
    return " ".join(shlex.quote(p) for p in parts)


@dataclass(frozen=True)
class Auth:
    """An https repository's credentials, as git will send them: to that origin only."""

    origin: str  # "https://host[:port]"
    header: str  # "Authorization: Basic ..."


def repository_auth(repo: Repository, credentials: str) -> Auth | None:
    """The credentials of `repo`, if they belong to its host (never sent anywhere else)."""
    if repo.kind != "https" or not credentials:
        return None
    origin = repository_origin(repo.url)
    if repository_origin(credentials) != origin:
        return None
    userinfo = credentials.split("://", 1)[1].rpartition("@")[0]
    user, _, password = userinfo.partition(":")
    pair = f"{unquote(user)}:{unquote(password)}".encode()
    return Auth(origin=origin, header="Authorization: Basic " + base64.b64encode(pair).decode())


def git_env(home: str, auth: Auth | None = None) -> dict[str, str]:
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
    if auth is not None:
        # Configuration through the environment: not on the command line (visible to every local
        # user) nor written into the clone's .git/config (which the analyzers could read).
        env.update(
            {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": f"http.{auth.origin}/.extraHeader",
                "GIT_CONFIG_VALUE_0": auth.header,
            }
        )
    return env


def _git(repo: Repository, args: list[str], cwd: str, home: str, auth: Auth | None = None) -> str:
    result = run_command(
        git_command(repo, *args),
        cwd=cwd,
        timeout_s=GIT_TIMEOUT_S,
        max_output_bytes=GIT_MAX_OUTPUT,
        env=git_env(home, auth),
    )
    if result.returncode != 0:
        tail = clean_text(redact(result.stderr_tail.strip())[-500:], limit=500, workspace=cwd)
        reason = "timed out" if result.timed_out else f"failed ({tail})"
        raise RepositoryError(f"git {args[0]} {reason}")
    return result.stdout.decode("utf-8", "replace")


def _repository(url: str, credentials: str) -> tuple[Repository, Auth | None]:
    """The repository to give git (its URL without credentials) and the credentials to send."""
    clean_url, in_url = split_repository_credentials(url)
    repo = validate_repository_url(clean_url)
    return repo, repository_auth(repo, credentials or in_url)


def default_branch(repo: Repository, auth: Auth | None) -> str:
    """The branch the remote's HEAD points to (many repositories use "master", not "main")."""
    with tempfile.TemporaryDirectory(prefix="auditor-git-") as home:
        out = _git(repo, ["ls-remote", "--symref", "--", repo.url, "HEAD"], home, home, auth)
    for line in out.splitlines():
        target, _, name = line.partition("\t")
        if name == "HEAD" and target.startswith("ref: refs/heads/"):
            return validate_branch(target.removeprefix("ref: refs/heads/"))
    raise RepositoryError("The repository has no default branch; set the project's branch.")


def _branch(repo: Repository, auth: Auth | None, branch: str) -> str:
    """The project's branch, or the remote's default branch when the project names none."""
    return validate_branch(branch) if (branch or "").strip() else default_branch(repo, auth)


def remote_head(*, url: str, branch: str, credentials: str = "") -> str:
    """The commit the branch points to on the remote, without cloning (git ls-remote)."""
    repo, auth = _repository(url, credentials)
    branch = _branch(repo, auth, branch)
    with tempfile.TemporaryDirectory(prefix="auditor-git-") as home:
        out = _git(repo, ["ls-remote", "--heads", "--", repo.url, f"refs/heads/{branch}"], home, home, auth)
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}" and SHA_RE.match(sha):
            return sha
    raise RepositoryError(f"Branch {branch!r} was not found in the repository.")


@dataclass(frozen=True)
class RemovedLink:
    path: str  # in the repository
    target: str  # what the link pointed to, as committed
    leaves: bool  # its target lies outside the checkout (or nowhere)

    def __str__(self) -> str:
        return f"{self.path} -> {self.target}"


@dataclass
class Checkout:
    path: Path
    commit_sha: str
    home: str  # a throw-away HOME for the scanners
    removed_links: list[RemovedLink] = field(default_factory=list)
    # A kept checkout's file for the worker's memory of its files (`kept_memos`); None for a
    # checkout removed after the run.
    memo_file: Path | None = None

    @property
    def links_note(self) -> str:
        """What the run says about the links removed before analysis ("" when there were none)."""
        return links_note(self.removed_links)


def links_note(links: list[RemovedLink]) -> str:
    leaving = [link for link in links if link.leaves]
    inside = len(links) - len(leaving)
    sentences = []
    if leaving:
        named = ", ".join(str(link) for link in leaving[:LINKS_LISTED])
        more = f" and {len(leaving) - LINKS_LISTED} more" if len(leaving) > LINKS_LISTED else ""
        plural = (
            "symbolic link leaving the repository was"
            if len(leaving) == 1
            else ("symbolic links leaving the repository were")
        )
        sentences.append(f"{len(leaving)} {plural} removed before analysis: {named}{more}.")
    if inside:
        plural = "symbolic link" if inside == 1 else "symbolic links"
        sentences.append(
            f"{inside} {plural} within the repository {'was' if inside == 1 else 'were'} removed too "
            "(the files they point to are analysed as themselves)."
        )
    return " ".join(sentences)


def remove_symlinks(root: Path) -> list[RemovedLink]:
    """Delete every symbolic link under `root`, walking without following any, and say which.

    All links go, not only those leaving the checkout: one inside only repeats a file that is
    analysed anyway, and a link is the one way a committed tree reaches outside itself (git
    stores no hard links or devices, and submodules are not fetched)."""
    links: list[str] = []
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_symlink():
                    links.append(entry.path)
                elif entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    # Decide for every link before removing any: a chain of links resolves through the others.
    real_root = os.path.realpath(root)
    removed = []
    for path in links:
        resolved = os.path.realpath(path)
        inside = resolved == real_root or resolved.startswith(real_root + os.sep)
        removed.append(
            RemovedLink(
                path=_shown(os.path.relpath(path, root)), target=_shown(os.readlink(path)), leaves=not inside
            )
        )
    for path in links:
        os.unlink(path)
    return sorted(removed, key=lambda link: link.path)


def _shown(name: str) -> str:
    """A committed name as the run may show it: the repository's own text, so paths are kept,
    but control characters go, secrets are masked and the length is capped."""
    return clean_text(name, limit=300, keep_paths=True)


def remove_later(folder: str) -> None:
    """Take the folder out of the way now and delete it in a background thread: deleting a large
    checkout file by file takes long on a busy disk (Django's 7,000 files: 26 s), and the run is
    recorded by then. The renamed folder keeps its prefix, so a worker killed before the thread
    finishes leaves it to the sweep (dispatcher.remove_stale_workspaces)."""
    trash = f"{folder}-removing"
    try:
        os.rename(folder, trash)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return
    threading.Thread(target=shutil.rmtree, args=(trash,), kwargs={"ignore_errors": True}).start()


@contextmanager
def checkout(*, url: str, branch: str, credentials: str = "", cache_key: str = "") -> Iterator[Checkout]:
    """Check the branch out (shallow) and remove every symbolic link from it.

    With a `cache_key` (the project's id) and SCAN_CHECKOUT_CACHE_DIR set, the project's clone
    kept from its previous re-scan is brought to the new commit instead of cloning again, while
    this run holds its lock; a worker that finds it locked, or any error on the way, clones into a
    fresh folder as without a cache. Without one, the fresh temporary folder is removed on exit."""
    repo, auth = _repository(url, credentials)
    branch = _branch(repo, auth, branch)
    with _cache_lock(cache_key, repo) as cached:
        if cached is None:
            with _fresh_checkout(repo, auth, branch) as co:
                yield co
        else:
            with _cached_checkout(cached, repo, auth, branch) as co:
                yield co


@contextmanager
def _fresh_checkout(repo: Repository, auth: Auth | None, branch: str) -> Iterator[Checkout]:
    """Clone into a fresh temporary folder, removed on exit, whatever happens."""
    base = tempfile.mkdtemp(prefix=CHECKOUT_PREFIX)
    try:
        home = os.path.join(base, "home")
        os.mkdir(home)
        target = os.path.join(base, "repo")
        sha = _clone(repo, auth, branch, target, home)
        removed = remove_symlinks(Path(target))
        yield Checkout(path=Path(target), commit_sha=sha, home=home, removed_links=removed)
    finally:
        remove_later(base)


def _clone(repo: Repository, auth: Auth | None, branch: str, target: str, home: str) -> str:
    """A shallow clone of the branch into `target` (which must not exist); its commit."""
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
        os.path.dirname(target),
        home,
        auth,
    )
    return _commit(repo, target, home, "HEAD")


def _commit(repo: Repository, target: str, home: str, ref: str) -> str:
    sha = _git(repo, ["rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}"], target, home).strip()
    if not SHA_RE.match(sha):
        raise RepositoryError("git rev-parse did not print a commit SHA.")
    return sha


# The project's clone kept between re-scans (SCAN_CHECKOUT_CACHE_DIR/<prefix>p<id>_<url hash>/):
#   repo/   the clone; git's own files and the checked-out tree, nothing else survives a run
#   stamp   the URL it was cloned from, a digest of its .git/config and how often it was reused
#   lock    held (flock) by the one worker using the folder
#   memo    what the worker's last run read from the clone's files (`kept_memos`), signed
# Re-cloned after this many reuses, so the objects of old commits fetched one by one and the
# shallow list do not pile up.
CACHE_MAX_REUSES = 100
MEMO_FILE = "memo"


def cache_root() -> Path | None:
    """The folder of kept clones, or None when the cache is off (setting empty) or the folder is
    not this user's own private folder (a world-writable temporary folder may hold a trap)."""
    root = str(getattr(settings, "SCAN_CHECKOUT_CACHE_DIR", "") or "").strip()
    if not root:
        return None
    path = Path(root)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        return None
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return path


@contextmanager
def _cache_lock(cache_key: str, repo: Repository) -> Iterator[Path | None]:
    """The project's cache folder, locked for this run; None when there is no cache, the key is
    not a plain name, or another worker holds the folder (this run then clones afresh)."""
    root = cache_root() if cache_key else None
    if root is None or not re.fullmatch(r"[A-Za-z0-9]{1,40}", cache_key):
        yield None
        return
    digest = hashlib.sha256(repo.url.encode()).hexdigest()[:12]
    folder = root / f"{CHECKOUT_PREFIX}p{cache_key}_{digest}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        if folder.is_symlink() or not folder.is_dir():
            raise OSError("the cache folder is not a folder")
        fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError:
        logger.info("re-scan: the checkout cache is not usable; cloning afresh")
        yield None
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield None  # another worker scans this project from it now
            return
        yield folder
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def _cached_checkout(folder: Path, repo: Repository, auth: Auth | None, branch: str) -> Iterator[Checkout]:
    """Bring the kept clone to the branch's new commit; on any failure, clone it again."""
    base = tempfile.mkdtemp(prefix=CHECKOUT_PREFIX)  # a throw-away HOME, as for a fresh clone
    try:
        home = os.path.join(base, "home")
        os.mkdir(home)
        target = folder / "repo"
        try:
            sha, reuses = _update(folder, repo, auth, branch, home)
        except (RepositoryError, OSError, ValueError) as exc:
            logger.info("re-scan: the kept checkout cannot be reused (%s); cloning afresh", redact(str(exc)))
            _discard(folder)
            sha = _clone(repo, auth, branch, str(target), home)
            reuses = 0
        _write_stamp(folder, repo, reuses)
        removed = remove_symlinks(target)
        yield Checkout(
            path=target, commit_sha=sha, home=home, removed_links=removed, memo_file=folder / MEMO_FILE
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _update(folder: Path, repo: Repository, auth: Auth | None, branch: str, home: str) -> tuple[str, int]:
    """Fetch the branch's commit into the kept clone and check it out exactly: the tree is then
    the commit's and nothing else (local changes, untracked and ignored files removed)."""
    target = folder / "repo"
    git_dir = target / ".git"
    if git_dir.is_symlink() or not git_dir.is_dir():
        raise RepositoryError("no kept clone")
    url, config, reuses = (folder / "stamp").read_text().split("\n")[:3]
    if url != repo.url or config != _config_digest(target):
        raise RepositoryError("the kept clone is of another repository or its configuration changed")
    if int(reuses) >= CACHE_MAX_REUSES:
        raise RepositoryError("the kept clone is due to be cloned afresh")
    cwd = str(target)
    no_maintenance = ["-c", "gc.auto=0", "-c", "maintenance.auto=false"]
    _git(
        repo,
        [
            *no_maintenance,
            "fetch",
            "--quiet",
            "--depth",
            "1",
            "--no-tags",
            "--",
            repo.url,
            f"refs/heads/{branch}",
        ],
        cwd,
        home,
        auth,
    )
    sha = _commit(repo, cwd, home, "FETCH_HEAD")
    _git(repo, ["clean", "-ffdxq"], cwd, home)
    _git(repo, ["checkout", "--quiet", "--force", "--detach", sha, "--"], cwd, home)
    return sha, int(reuses) + 1


def _config_digest(target: Path) -> str:
    return hashlib.sha256((target / ".git" / "config").read_bytes()).hexdigest()


def _write_stamp(folder: Path, repo: Repository, reuses: int) -> None:
    (folder / "stamp").write_text(f"{repo.url}\n{_config_digest(folder / 'repo')}\n{reuses}\n")


def _discard(folder: Path) -> None:
    """Remove the kept clone, its stamp and its files' memory (the lock stays: this run holds it)."""
    for name in ("stamp", MEMO_FILE):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    if os.path.lexists(folder / "repo"):
        remove_later(str(folder / "repo"))


# Kept clones of projects this worker has not re-scanned for this long are removed (a deleted,
# inactive or moved project's clone would otherwise stay on the disk for ever).
CACHE_UNUSED_DAYS = 14
PRUNE_EVERY_SECONDS = 3600
_last_prune = 0.0
_prune_lock = threading.Lock()


def prune_checkouts(*, unused_for_s: float = CACHE_UNUSED_DAYS * 86400, now: float | None = None) -> int:
    """Remove the kept clones (whole folders) last used more than `unused_for_s` ago; a folder a
    run holds (locked) is left alone. Returns how many were removed."""
    root = cache_root()
    if root is None:
        return 0
    now = time.time() if now is None else now
    removed = 0
    pattern = re.compile(re.escape(CHECKOUT_PREFIX) + r"p[A-Za-z0-9]{1,40}_[0-9a-f]{12}")
    for entry in os.scandir(root):
        if not pattern.fullmatch(entry.name) or not entry.is_dir(follow_symlinks=False):
            continue
        folder = Path(entry.path)
        try:
            used = max(
                os.lstat(folder / name).st_mtime
                for name in ("stamp", "lock")
                if os.path.lexists(folder / name)
            )
        except (OSError, ValueError):  # ValueError: neither file (a run never finished there)
            used = entry.stat(follow_symlinks=False).st_mtime
        if now - used <= unused_for_s:
            continue
        try:
            fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # a run uses it right now
        try:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        finally:
            os.close(fd)
    if removed:
        logger.info("re-scan: removed %d kept checkout(s) unused for %d days", removed, unused_for_s // 86400)
    return removed


def prune_checkouts_now_and_then() -> None:
    """prune_checkouts at most once per PRUNE_EVERY_SECONDS in this process (each worker keeps its
    own clones, so each worker prunes its own folder)."""
    global _last_prune
    with _prune_lock:
        if time.monotonic() - _last_prune < PRUNE_EVERY_SECONDS and _last_prune:
            return
        _last_prune = time.monotonic()
    try:
        prune_checkouts()
    except OSError:
        logger.exception("re-scan: the kept checkouts could not be pruned")
