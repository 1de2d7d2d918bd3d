"""Incremental re-scan benchmark: one changed file against a full re-scan of the same commit.

    .venv/bin/python bench/bench_incremental.py --repository PATH [--change FILE]

PATH is a local git repository (e.g. a clone of Django's source). It is cloned into a scratch
folder (the repository itself is not touched), then, through the service (`audit_rescan_run`):
  1. a full re-scan of its branch head (the baseline, which stores the per-file results);
  2. one commit changing one Python file (FILE, default django/utils/text.py: a function added);
  3. an incremental re-scan of that commit (the per-file analyzers read only that file), by the
     process that ran 1: it remembers what it read from the checkout's files (file_memo);
  3'. the same for a second project (its own baseline run at 1), with that memory forgotten:
     as on another process of the host's scans pool, or after a night of other projects; it
     reads back what the project's baseline run kept beside its checkout (kept_memos);
  3''. the same for a third project, with the memory forgotten and none kept beside the
     checkout: every file read again;
  4. a full re-scan of the same commit, as the first re-scan of a fourth project.
Each project keeps its checkout between its re-scans (SCAN_CHECKOUT_CACHE_DIR, in the scratch
folder), as a worker host does: 3 and 3' fetch into the checkout 1 left, 4 clones afresh.
Prints the times, their ratios and whether the active findings of 3, 3', 3'' and 4 are identical. Works in a
scratch database (test_<name>_bench_incremental) that it creates and drops.
Target: incremental <= 10% of the full re-scan.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditor.settings")
GIT_ID = ["-c", "user.email=bench@example.com", "-c", "user.name=bench", "-c", "commit.gpgsign=false"]
TARGET_RATIO = 0.10
CHANGE = '''

def bench_incremental_slug(value):
    """Added by the incremental re-scan benchmark."""
    if not value:
        return ""
    return "-".join(part for part in str(value).lower().split() if part)
'''


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *GIT_ID, *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repository", required=True, help="a local git repository")
    parser.add_argument("--change", default="django/utils/text.py", help="the Python file to change")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    old_name = settings.DATABASES["default"]["NAME"]
    if connection.vendor == "postgresql":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{old_name}_bench_incremental"
    else:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(
            Path(tempfile.gettempdir()) / f"auditor_bench_incremental_{os.getpid()}.sqlite3"
        )
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    work = Path(tempfile.mkdtemp(prefix="auditor-bench-incremental-"))
    try:
        run(Path(args.repository).resolve(), args.change, work, settings)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(work, ignore_errors=True)


from bench.bench_rescan import phase_timers  # noqa: E402 - after the path is set


def cpu_seconds() -> float:
    """User and system CPU time of this process and of its finished child processes: what a
    re-scan costs, whatever the load of the machine."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


CHECKOUT = "checkout (clone, or fetch into the kept one)"
PLAN = "plan (previous commit, diff)"
INVENTORY = "of which inventory"
WITHIN_CHECKOUT = frozenset({"clone"})  # phases of `phase_timers` timed within the checkout


@contextlib.contextmanager
def more_timers():
    """Wall time of the checkout, the plan and the inventory walk, beside `phase_timers`."""
    from rescans import execution, incremental, workspace

    timed = dict.fromkeys((CHECKOUT, PLAN, INVENTORY), 0.0)
    checkout, plan_scan, build_inventory = (
        workspace.checkout,
        incremental.plan_scan,
        execution.build_inventory,
    )

    @contextlib.contextmanager
    def timed_checkout(**kwargs):
        t0 = time.perf_counter()
        with checkout(**kwargs) as co:
            timed[CHECKOUT] += time.perf_counter() - t0
            yield co

    def timed_call(name, function):
        def call(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timed[name] += time.perf_counter() - t0

        return call

    workspace.checkout = timed_checkout
    incremental.plan_scan = timed_call(PLAN, plan_scan)
    execution.build_inventory = timed_call(INVENTORY, build_inventory)
    try:
        yield timed
    finally:
        workspace.checkout, incremental.plan_scan, execution.build_inventory = (
            checkout,
            plan_scan,
            build_inventory,
        )


def forget() -> None:
    """Forget what this process read from the checkouts' files (as a new worker process)."""
    from rescans import incremental_scanners, inventory
    from rescans.scanners import checks

    inventory._MEMO.clear()
    checks._MEMO.clear()
    incremental_scanners.clear_memos()


def findings_of(project) -> list[tuple]:
    from findings.models import Finding

    return sorted(
        Finding.objects.filter(project=project, status__in=Finding.ACTIVE_STATUSES).values_list(
            "fingerprint", "tool", "rule_id", "severity", "file_path", "line", "title", "status"
        )
    )


def run(source: Path, change: str, work: Path, settings) -> None:
    from projects.models import Project
    from rescans import services as service
    from rescans.models import IncrementalState

    repo = work / "repo"
    subprocess.run(["git", "clone", "-q", "--", str(source), str(repo)], check=True)
    branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD")
    settings.SCAN_LOCAL_ROOTS = [str(work)]
    settings.SCAN_CHECKOUT_CACHE_DIR = str(work / "checkouts")  # removed with the scratch folder
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    incremental = Project.objects.create(
        name="incremental", slug="bench-incremental", repository_url=str(repo), branch=branch
    )
    cold = Project.objects.create(
        name="incremental, memory forgotten", slug="bench-cold", repository_url=str(repo), branch=branch
    )
    bare = Project.objects.create(
        name="incremental, nothing remembered", slug="bench-bare", repository_url=str(repo), branch=branch
    )
    full = Project.objects.create(name="full", slug="bench-full", repository_url=str(repo), branch=branch)

    cpu: dict[int, float] = {}
    phases: dict[int, dict[str, float]] = {}

    def rescan(project, force: bool):
        audit = service.project_rescan_request(project_id=project.pk, force=force, enqueue=False)
        t0, c0 = time.perf_counter(), cpu_seconds()
        with phase_timers(service) as timed, more_timers() as more:
            audit = service.audit_rescan_run(audit_id=audit.pk)
        cpu[audit.pk] = cpu_seconds() - c0
        elapsed = time.perf_counter() - t0
        phases[audit.pk] = {
            **more,
            **{(f"of which {k}" if k in WITHIN_CHECKOUT else k): v for k, v in timed.items()},
            "the rest (ls-remote, queries, after-commit work)": elapsed
            - sum(v for k, v in timed.items() if k not in WITHIN_CHECKOUT)
            - more[CHECKOUT]
            - more[PLAN],
        }
        return elapsed, audit

    load_before = os.getloadavg()
    baseline_s, baseline = rescan(incremental, force=True)
    rescan(cold, force=True)
    rescan(bare, force=True)
    target = repo / change
    target.write_text(target.read_text() + CHANGE)
    git(repo, "commit", "-q", "-am", "bench: change one file")
    if os.environ.get("BENCH_PROFILE"):  # where the incremental run's own process spends its time
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        incremental_s, inc_audit = rescan(incremental, force=False)
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    else:
        incremental_s, inc_audit = rescan(incremental, force=False)
    forget()
    cold_s, cold_audit = rescan(cold, force=False)
    forget()
    from rescans.workspace import MEMO_FILE

    for kept in Path(settings.SCAN_CHECKOUT_CACHE_DIR).glob(f"*p{bare.pk}_*/{MEMO_FILE}"):
        kept.unlink()
    bare_s, bare_audit = rescan(bare, force=False)
    full_s, full_audit = rescan(full, force=True)
    load_after = os.getloadavg()
    inc_run, full_run = inc_audit.rescan_run, full_audit.rescan_run
    ratio = incremental_s / full_s
    same = findings_of(incremental) == findings_of(full)

    print(f"Incremental re-scan benchmark: {source.name}, one changed file ({change}); {os.cpu_count()} CPUs")
    print(
        f"  load average (1 and 5 min) before {load_before[0]:.2f} {load_before[1]:.2f}, "
        f"after {load_after[0]:.2f} {load_after[1]:.2f}"
    )
    print(f"  baseline full re-scan (first commit): {baseline_s:7.2f} s ({baseline.status})")
    print(
        f"  full re-scan of the new commit:       {full_s:7.2f} s  files analysed {full_run.files_analysed}; "
        + ", ".join(f"{k} {p['duration_s']:.2f} s" for k, p in full_run.parts.items())
    )
    print(
        f"  incremental re-scan of it:            {incremental_s:7.2f} s  files analysed "
        f"{inc_run.files_analysed}; "
        + ", ".join(f"{k} {p['duration_s']:.2f} s" for k, p in inc_run.parts.items())
    )
    for label, (seconds, audit) in (
        ("the same, memory forgotten, kept one read", (cold_s, cold_audit)),
        ("the same, nothing remembered or kept", (bare_s, bare_audit)),
    ):
        print(
            f"  {label}: {seconds:7.2f} s  files analysed {audit.rescan_run.files_analysed}; "
            + ", ".join(f"{k} {p['duration_s']:.2f} s" for k, p in audit.rescan_run.parts.items())
        )
    print(f"  mode: {inc_run.scan_mode_note}")
    for name, audit in (
        ("full", full_audit),
        ("incremental", inc_audit),
        ("forgetful incremental", cold_audit),
        ("incremental remembering nothing", bare_audit),
    ):
        print(
            f"  phases of the {name} run: " + ", ".join(f"{k} {v:.2f} s" for k, v in phases[audit.pk].items())
        )
    print(
        f"  CPU time (this process and the analyzers): incremental {cpu[inc_audit.pk]:.1f} s, "
        f"full {cpu[full_audit.pk]:.1f} s, ratio {cpu[inc_audit.pk] / cpu[full_audit.pk]:.3f}"
    )
    verdict = "met" if ratio <= TARGET_RATIO and inc_run.incremental else "NOT met"
    print(f"  ratio incremental / full:             {ratio:7.3f}   (target <= {TARGET_RATIO}: {verdict})")
    for label, (seconds, audit) in (
        ("the same, memory forgotten", (cold_s, cold_audit)),
        ("nothing remembered or kept", (bare_s, bare_audit)),
    ):
        other = seconds / full_s
        verdict = "met" if other <= TARGET_RATIO and audit.rescan_run.incremental else "NOT met"
        print(f"  {label + ':':<36}{other:7.3f}   (target <= {TARGET_RATIO}: {verdict})")
    same = same and findings_of(cold) == findings_of(full) == findings_of(bare)
    print(f"  findings identical: {same} ({len(findings_of(incremental))} findings)")
    if not same:
        inc_rows, full_rows = set(findings_of(incremental)), set(findings_of(full))
        for label, rows in (("incremental only", inc_rows - full_rows), ("full only", full_rows - inc_rows)):
            for row in sorted(rows)[:10]:
                print(f"    {label}: {row[1:]}")
    state = IncrementalState.objects.filter(audit=inc_audit).first()
    print(f"  per-file state kept for the next run: {len(state.data) if state else 0:,} bytes (gzip JSON)")


if __name__ == "__main__":
    main()
