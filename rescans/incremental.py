"""Incremental re-scans: re-run the per-file analyzers only on the files changed since the
previous re-scan, and carry the other files' results forward.

`plan_scan` decides, once the new commit is checked out, whether this run may build on the
previous one. It may when the previous automated audit of the project (or the one a "no change"
run repeats) completed with every part ok and left its state (`IncrementalState`), under the
same key (scan configuration, analyzer versions, rule pack, auditor's analyzer and inventory
code), its full run is younger than `SCAN_FULL_EVERY_DAYS`, its commit can be fetched next to
the new one, and the files changed between the two trees are at most
`SCAN_INCREMENTAL_MAX_CHANGED_SHARE` of the repository's files. Anything else, or a forced
re-scan, makes a full run. Either way the per-file analyzers keep their output per file, and
`finish` stores it for the next run, in the run's transaction.

The change is read between the two trees (`git diff --name-status --no-renames`: a rename is
its old path deleted and its new path added), so a result carried forward is the result of the
very same file content at the very same path; the history between them does not matter.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import importlib.metadata
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from projects.models import Audit, Project
from rescans import workspace
from rescans.incremental_scanners import INCREMENTAL, Carry, Incremental
from rescans.models import IncrementalState, RescanRun
from rescans.scanners import Scanner
from rescans.scanners.semgrep import RULES_DIR

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
# auditor's own code that decides what the per-file analyzers read and how they run: a change
# of any of these makes the next re-scan full.
CODE_FILES = (
    *sorted((HERE / "scanners").glob("*.py")),
    HERE / "inventory.py",
    HERE / "languages.py",
    HERE / "practices.py",
    HERE / "incremental_scanners.py",
    HERE / "incremental.py",  # the state's format
    HERE.parent / "scoring" / "paths.py",
)
TOOLS = ("semgrep", "bandit", "ruff", "lizard")
# "Re-scan now" in the admin and on the project page: a person asked, the run is full.
FULL_ON_DEMAND = frozenset({"admin", "page"})


def full_every() -> dt.timedelta:
    return dt.timedelta(days=float(getattr(settings, "SCAN_FULL_EVERY_DAYS", 7)))


def max_changed_share() -> float:
    return float(getattr(settings, "SCAN_INCREMENTAL_MAX_CHANGED_SHARE", 0.25))


@functools.lru_cache(maxsize=1)
def _code_key() -> str:
    digest = hashlib.sha256()
    for path in (*CODE_FILES, *sorted(RULES_DIR.glob("*.yaml"))):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for tool in TOOLS:
        try:
            digest.update(f"{tool}={importlib.metadata.version(tool)}\0".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{tool}=?\0".encode())
    return digest.hexdigest()


def state_key(config_hash: str) -> str:
    """Same key = same configuration, analyzer versions, rule pack and analyzer code."""
    return hashlib.sha256(f"{config_hash}\0{_code_key()}".encode()).hexdigest()


@dataclass
class Plan:
    key: str
    commit_sha: str
    full_at: dt.datetime
    note: str
    base: IncrementalState | None = None  # None: a full run
    changed: frozenset[str] = field(default_factory=frozenset)

    @property
    def incremental(self) -> bool:
        return self.base is not None


def plan_scan(
    *,
    project: Project,
    audit_id: int,
    force: bool,
    config_hash: str,
    checkout: workspace.Checkout,
    scanners: list[Scanner],
) -> tuple[list[Scanner], Plan]:
    """The scanners to run (the per-file analyzers replaced by their incremental form) and the
    plan: incremental on the previous run's state, or full and why."""
    now = timezone.now()
    plan = Plan(key=state_key(config_hash), commit_sha=checkout.commit_sha, full_at=now, note="")
    reason, base = _base_state(project=project, audit_id=audit_id, force=force, key=plan.key, now=now)
    data: dict[str, Any] = {}
    if base is not None:
        changed = changed_paths(project, checkout, base.commit_sha)
        data = json.loads(gzip.decompress(bytes(base.data)))
        files = max(1, int(data.get("files") or 0))
        if changed is None:
            reason = f"full: the previous commit {base.commit_sha[:12]} could not be fetched"
        elif len(changed) > max_changed_share() * files:
            reason = (
                f"full: {len(changed)} of {files} files changed since audit #{base.audit_id} "
                f"(more than {max_changed_share():.0%})"
            )
        else:
            plan.base, plan.changed, plan.full_at = base, changed, base.full_at
            reason = (
                f"incremental: {len(changed)} file(s) changed since audit #{base.audit_id} "
                f"(commit {base.commit_sha[:12]}); last full re-scan {base.full_at:%Y-%m-%d %H:%M}"
            )
    plan.note = reason
    analyzers = data.get("analyzers") or {}
    result: list[Scanner] = []
    for scanner in scanners:
        cls = INCREMENTAL.get(scanner.name)
        if cls is None:
            result.append(scanner)
            continue
        replacement = cls()
        replacement.plan = plan
        previous = analyzers.get(scanner.name)
        if plan.incremental and previous is not None:
            replacement.carry = Carry(
                targets=frozenset(previous["targets"]), entries=previous["entries"], changed=plan.changed
            )
        result.append(replacement)
    return result, plan


def _base_state(
    *, project: Project, audit_id: int, force: bool, key: str, now: dt.datetime
) -> tuple[str, IncrementalState | None]:
    """(why the run is full, None) or ("", the state this run may build on)."""
    if force:
        return "full: a full re-scan was asked for (forced or Re-scan now)", None
    if not Audit.objects.filter(project_id=project.pk, kind=Audit.Kind.AUTOMATED, pk__lt=audit_id).exists():
        return "full: the first re-scan", None
    previous = _previous_scanned(project_id=project.pk, audit_id=audit_id)
    state = (
        IncrementalState.objects.filter(audit__project_id=project.pk, audit_id__lt=audit_id)
        .order_by("-audit_id")
        .first()
    )
    if previous is None or state is None or previous.pk != state.audit_id:
        return "full: the previous re-scan failed, was partial or kept no per-file results", None
    if state.key != key:
        return "full: the configuration, the analyzers or the rule pack changed", None
    if now - state.full_at >= full_every():
        return f"full: the last full re-scan is older than {full_every().days} days", None
    return "", state


def _previous_scanned(*, project_id: int, audit_id: int) -> Audit | None:
    """The previous automated audit that scanned (a "no change" run stands for the one it
    repeats); None when the previous one did not complete."""
    previous = (
        Audit.objects.filter(project_id=project_id, kind=Audit.Kind.AUTOMATED, pk__lt=audit_id)
        .select_related("rescan_run")
        .order_by("-id")
        .first()
    )
    for _hop in range(100):
        if previous is None or previous.status != Audit.Status.COMPLETED:
            return None
        run = RescanRun.objects.filter(audit=previous).first()
        if run is None or run.outcome != RescanRun.Outcome.NO_CHANGE or run.same_as_id is None:
            return previous
        previous = Audit.objects.filter(pk=run.same_as_id).first()
    return None


def changed_paths(project: Project, checkout: workspace.Checkout, base_sha: str) -> frozenset[str] | None:
    """Paths added, modified, deleted or renamed (both names) between the previous commit and
    the checkout's; None when the previous commit cannot be fetched (rewritten history,
    garbage-collected) or compared. The clone is shallow: the one commit is fetched by id."""
    if not workspace.SHA_RE.match(base_sha):
        return None
    if base_sha == checkout.commit_sha:
        return frozenset()
    try:
        repo, auth = workspace._repository(project.repository_url, project.repository_credentials)
        cwd = str(checkout.path)
        diff = ["diff", "--name-status", "--no-renames", "-z", base_sha, checkout.commit_sha, "--"]
        try:  # a kept checkout has the previous commit already
            out = workspace._git(repo, diff, cwd, checkout.home)
        except workspace.RepositoryError:
            workspace._git(
                repo,
                ["fetch", "--quiet", "--depth", "1", "--no-tags", repo.url, base_sha],
                cwd,
                checkout.home,
                auth,
            )
            out = workspace._git(repo, diff, cwd, checkout.home)
    except workspace.RepositoryError as exc:
        logger.info("incremental re-scan: %s", exc)
        return None
    tokens = out.split("\0")
    return frozenset(tokens[i + 1] for i in range(0, len(tokens) - 1, 2) if tokens[i])


def finish(*, audit: Audit, run: RescanRun, scanners: list[Scanner]) -> None:
    """Record on the run (inside its transaction) whether it was incremental and how many files
    the per-file analyzers read, and keep their output for the next run when every part
    succeeded (only the project's latest state is kept)."""
    incremental = [s for s in scanners if isinstance(s, Incremental)]
    if not incremental:
        return
    plan: Plan = incremental[0].plan
    analysed: set[str] = set()
    for scanner in incremental:
        part = run.parts.get(scanner.name)
        if part is None:
            continue
        analysed.update(scanner.analysed)
        part["files_analysed"] = len(scanner.analysed)
        part["files_carried"] = (
            len(scanner.all_targets or []) - len(scanner.analysed) if scanner.carry is not None else 0
        )
    run.incremental = any(s.carry is not None for s in incremental)
    run.files_analysed = len(analysed)
    run.scan_mode_note = plan.note[:300]
    IncrementalState.objects.filter(audit__project_id=audit.project_id).delete()
    if any(s.name in run.missing for s in incremental):
        # A per-file analyzer failed: nothing of it to carry, the next run is full. A failed
        # whole-repository part (no OSV data) does not matter: those run in full every time.
        return
    data = {
        "files": max((s.files_total for s in incremental), default=0),
        "analyzers": {
            s.name: {"targets": s.all_targets, "entries": s.entries}
            for s in incremental
            if s.entries is not None and s.all_targets is not None
        },
    }
    IncrementalState.objects.create(
        audit=audit,
        commit_sha=plan.commit_sha,
        key=plan.key,
        full_at=plan.full_at,
        # Level 1: Django's 4.5 MB of output per file in 0.03 s instead of 0.1 s (and 25% larger).
        data=gzip.compress(json.dumps(data, separators=(",", ":")).encode(), compresslevel=1),
    )
