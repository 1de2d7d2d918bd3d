"""Re-scan benchmark: a whole re-scan against its slowest analyzer alone.

    .venv/bin/python bench/bench_rescan.py [--package django | --repository PATH] [--panel-only]

1. Copies the Python source files of an installed package (Django by default: ~900 files,
   ~160,000 lines) into a fresh git repository, then measures, on the same commit:
     - each analyzer of the default set run alone on a checkout, one after the other;
     - a whole re-scan through the service (`audit_rescan_run`): ls-remote, clone, inventory,
       the analyzers in parallel, import of every finding, metrics, scores, change: the
       project's first re-scan, which clones, then a later full re-scan (forced, every analyzer
       on every file), which brings the checkout the worker kept to the commit instead;
     - the same commit again without --force: the "no change" path.
   With --repository PATH it does the same on a local git clone instead (e.g. Django's whole
   repository), on its default branch. It works in a scratch database (test_<name>_bench_rescan)
   that it creates and drops.
2. When AUDITOR_CALIBRATION_DIR names a folder of local clones (one folder per repository,
   fetched by you, never committed), measures on each: the inventory and each analyzer alone,
   then inventory plus all analyzers in parallel as a re-scan runs them (no database, no clone).
   Without it, says so and skips.
Target: whole re-scan <= 1.2 x its slowest analyzer alone.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import resource
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


def build_repository(package: str, target: Path) -> tuple[int, int]:
    source = Path(importlib.import_module(package).__file__).parent
    files = lines = 0
    for path in sorted(source.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        dest = target / package / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        files += 1
        lines += path.read_bytes().count(b"\n")
    (target / "README.md").write_text(f"# {package} (benchmark copy)\n")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=target, check=True)
    subprocess.run(["git", *GIT_ID, "add", "-A"], cwd=target, check=True)
    subprocess.run(["git", *GIT_ID, "commit", "-q", "-m", "import"], cwd=target, check=True)
    return files, lines


TARGET_RATIO = 1.2
LOAD_BEFORE = ""


CPU_SECONDS: dict[str, float] = {}  # analyzer -> CPU seconds alone (its process and ours)


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (analyzers, git)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def analyzers_alone(path: Path, home: Path) -> tuple[float, dict[str, float], dict[str, str]]:
    """(inventory seconds, {analyzer: seconds alone}, {analyzer: error}) on a checked-out folder."""
    from rescans.execution import run_limits
    from rescans.inventory import build_inventory
    from rescans.scanners import ScannerError, enabled_scanners

    t0 = time.perf_counter()
    inventory = build_inventory(path)
    inventory_s = time.perf_counter() - t0
    each, errors = {}, {}
    for scanner in enabled_scanners([]):
        if hasattr(scanner, "prepare"):
            scanner.prepare(inventory)
        t0, c0 = time.perf_counter(), cpu_seconds()
        try:
            scanner.run(path, run_limits(), str(home))
        except ScannerError as exc:
            errors[scanner.name] = str(exc)[:120]
        each[scanner.name] = time.perf_counter() - t0
        CPU_SECONDS[scanner.name] = cpu_seconds() - c0
    return inventory_s, each, errors


def analyzers_parallel(path: Path, home: Path) -> tuple[float, dict]:
    """Inventory and every default analyzer as a re-scan runs them (the service's thread pool)."""
    from rescans.execution import run_scanners
    from rescans.scanners import enabled_scanners

    t0 = time.perf_counter()
    result = run_scanners(enabled_scanners([]), path, str(home))
    return time.perf_counter() - t0, result.parts


def scanners_alone(repo: Path, work: Path) -> tuple[float, dict[str, float]]:
    checkout = work / "direct"
    subprocess.run(["git", "clone", "-q", "--depth", "1", repo.as_uri(), str(checkout)], check=True)
    home = work / "home"
    home.mkdir(exist_ok=True)
    inventory_s, each, _errors = analyzers_alone(checkout, home)
    return inventory_s + max(each.values()), each


def panel(settings) -> None:
    """Per-analyzer and parallel wall times on each local clone of AUDITOR_CALIBRATION_DIR."""
    folder = os.environ.get("AUDITOR_CALIBRATION_DIR", "")
    if not folder or not Path(folder).is_dir():
        print(
            "Analyzer timings on local clones: skipped (set AUDITOR_CALIBRATION_DIR to a folder of "
            "repositories cloned locally)."
        )
        return
    print(
        f"Analyzer timings on local clones; {os.cpu_count()} CPUs, "
        f"SCAN_PARALLELISM={settings.SCAN_PARALLELISM}"
    )
    for repo in sorted(p for p in Path(folder).iterdir() if p.is_dir()):
        work = Path(tempfile.mkdtemp(prefix="auditor-bench-panel-"))
        try:
            inventory_s, each, errors = analyzers_alone(repo, work)
            parallel_s, parts = analyzers_parallel(repo, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        slowest = max(each, key=each.get)
        ratio = parallel_s / (inventory_s + each[slowest])
        print(
            f"  {repo.name}: inventory {inventory_s:.2f} s; alone: "
            + ", ".join(f"{k} {v:.1f}" for k, v in each.items())
        )
        print(
            f"    whole (inventory + analyzers in parallel) {parallel_s:.1f} s; slowest alone {slowest} "
            f"{each[slowest]:.1f} s; ratio {ratio:.2f} (target <= {TARGET_RATIO}: "
            f"{'met' if ratio <= TARGET_RATIO else 'NOT met'})"
        )
        failed = {name: part.get("error", "")[:80] for name, part in parts.items() if part["status"] != "ok"}
        if failed or errors:
            print(f"    not measured: {failed or errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="django", help="installed package whose source is scanned")
    parser.add_argument("--panel-only", action="store_true", help="only the timings on local clones")
    parser.add_argument(
        "--repository", default="", help="a local git clone to re-scan instead of a copy of --package"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if args.panel_only:
        panel(settings)
        return

    old_name = settings.DATABASES["default"]["NAME"]
    if connection.vendor == "postgresql":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{old_name}_bench_rescan"
    else:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(
            Path(tempfile.gettempdir()) / f"auditor_bench_rescan_{os.getpid()}.sqlite3"
        )
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    work = Path(tempfile.mkdtemp(prefix="auditor-bench-rescan-"))
    try:
        run(args.package, work, settings, repository=args.repository)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(work, ignore_errors=True)
    panel(settings)


def run(package: str, work: Path, settings, repository: str = "") -> None:
    from projects.models import Project
    from rescans import services as service

    if repository:
        # A local git clone, scanned on its default branch as a project without a branch is.
        repo = Path(repository).resolve()
        package = repo.name
        from rescans.inventory import build_inventory

        inventory = build_inventory(repo)
        files = len(inventory.files)
        lines = inventory.profile.production_lines + inventory.profile.test_lines
        settings.SCAN_LOCAL_ROOTS = [str(work), str(repo.parent)]
    else:
        repo = work / "repo"
        repo.mkdir()
        files, lines = build_repository(package, repo)
        settings.SCAN_LOCAL_ROOTS = [str(work)]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    project = Project.objects.create(
        name=f"{package} benchmark",
        slug="bench-rescan",
        repository_url=str(repo),
        branch="" if repository else "main",  # empty: the remote's default branch
    )

    global LOAD_BEFORE
    LOAD_BEFORE = f"{os.getloadavg()[0]:.2f}"
    direct_s, each = scanners_alone(repo, work)

    def rescan(force: bool):
        audit = service.project_rescan_request(project_id=project.pk, force=force, enqueue=False)
        t0 = time.perf_counter()
        audit = service.audit_rescan_run(audit_id=audit.pk)
        return time.perf_counter() - t0, audit

    # A worker has its URLconf (and with it the admin) loaded, and its URL names resolved, from
    # its first re-scan on: scores link their evidence to admin pages. Done here, so the figures
    # are those of a re-scan, not of a process's first one.
    from django.urls import reverse

    reverse("admin:findings_finding_change", args=[1])
    reverse("audit-detail", args=[1])
    # A worker keeps each project's checkout between re-scans (SCAN_CHECKOUT_CACHE_DIR): the
    # project's first re-scan clones, later ones bring the kept checkout to the new commit.
    # Both are measured, from an empty folder of kept checkouts of this run's own.
    # The later one starts with the worker's memory of what it read from the files of its last
    # checkouts forgotten: at night a worker re-scans other projects in between.
    settings.SCAN_CHECKOUT_CACHE_DIR = str(work / "kept-checkouts")
    runs = []
    for label in ("first re-scan of the project (clone)", "later full re-scan (kept checkout)"):
        forget_memos()
        c0 = cpu_seconds()
        profiler = None
        if os.environ.get("BENCH_PROFILE") and not runs:  # where the re-scan's own process spends its time
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        with phase_timers(service) as phases:
            rescan_s, audit = rescan(force=True)
        rescan_cpu = cpu_seconds() - c0
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats(
                os.environ.get("BENCH_SORT", "tottime")
            ).print_stats(60)
        runs.append((label, rescan_s, audit, phases, rescan_cpu))
    no_change_s, unchanged = rescan(force=False)

    print(
        f"Re-scan benchmark: {package}, {files:,} source files, {lines:,} lines; "
        f"{os.cpu_count()} CPUs, {connection_vendor()}, SCAN_PARALLELISM={settings.SCAN_PARALLELISM}"
    )
    print("  analyzers alone, one after the other: " + ", ".join(f"{k} {v:.2f} s" for k, v in each.items()))
    print(f"  inventory + slowest analyzer alone:  {direct_s:7.2f} s")
    slowest = max(each, key=each.get)
    cpus = os.cpu_count() or 1
    for label, rescan_s, audit, phases, rescan_cpu in runs:
        run = audit.rescan_run
        ratio = rescan_s / direct_s
        verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
        if audit.status != "completed":
            verdict = f"no figure: the re-scan {audit.status}"
        print(f"  {label}:")
        print(
            f"    whole re-scan (service):           {rescan_s:7.2f} s  ("
            + ", ".join(f"{k} {p['duration_s']:.2f} s" for k, p in run.parts.items())
            + ")"
        )
        print(
            "    its phases: "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in phases.items())
            + f", the rest (ls-remote, checkout, claim, links) {rescan_s - sum(phases.values()):.2f} s"
        )
        print(f"    ratio re-scan / slowest alone:     {ratio:7.2f}   (target <= {TARGET_RATIO}: {verdict})")
        print(
            f"    CPU seconds (this process and its children; PostgreSQL not counted): {slowest} alone "
            f"{CPU_SECONDS[slowest]:.1f}, every analyzer alone {sum(CPU_SECONDS.values()):.1f}, whole "
            f"re-scan {rescan_cpu:.1f}: at least {rescan_cpu / cpus:.1f} s of wall time on {cpus} CPUs"
        )
    print(f"  load average before / after: {LOAD_BEFORE} / {os.getloadavg()[0]:.2f}")
    print(
        f"  same commit again, no --force:       {no_change_s:7.2f} s  (outcome "
        f"{unchanged.rescan_run.outcome})"
    )
    run = runs[-1][2].rescan_run
    findings = {name: part.get("findings") for name, part in run.parts.items()}
    print(f"  findings imported: {findings}; status {runs[-1][2].status}, missing {run.missing}")


def forget_memos() -> None:
    """Forget what this process read from the files of its last checkouts (file_memo)."""
    from rescans import incremental_scanners, inventory
    from rescans.scanners import checks

    inventory._MEMO.clear()
    checks._MEMO.clear()
    incremental_scanners.clear_memos()


@contextlib.contextmanager
def phase_timers(service):
    """Wall time of the phases of a re-scan: the service's steps (and the clone) wrapped while
    it runs."""
    from rescans import workspace

    phases: dict[str, float] = {}
    wrapped = [
        (workspace, "_clone", "clone"),
        (service, "run_scanners", "inventory + analyzers"),
        (service, "results_import", "import of the findings and metrics"),
        (service, "_complete", "scores and change"),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _label in wrapped]

    def timed(label, function):
        def call(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases[label] = phases.get(label, 0.0) + time.perf_counter() - t0

        return call

    for (owner, name, label), (_o, _n, function) in zip(wrapped, originals, strict=True):
        setattr(owner, name, timed(label, function))
    try:
        yield phases
    finally:
        for owner, name, function in originals:
            setattr(owner, name, function)


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    main()
