"""Re-scan benchmark: a whole re-scan of a real mid-size Python code base against its scanners alone.

    .venv/bin/python bench/bench_rescan.py [--package django]

Copies the Python source files of an installed package (Django by default: ~900 files, ~160,000
lines) into a fresh git repository, then measures, on the same commit:
  1. the scanner commands a re-scan runs (bandit, ruff, detect-secrets), run directly on a
     checkout one after the other: the floor;
  2. a whole re-scan through the service (`audit_rescan_run`): ls-remote, clone, the scanners
     (in parallel) and the built-in checks, import of every finding, metrics, scores, change;
  3. the same commit again without --force: the "no change" path.
Target: re-scan <= 1.15 x the scanners alone. It works in a scratch database (test_<name>_bench_rescan)
that it creates and drops, so it never touches real data.
"""

from __future__ import annotations

import argparse
import importlib
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


def scanners_alone(repo: Path, work: Path) -> tuple[float, dict[str, float]]:
    from rescans.runner import safe_env
    from rescans.scanners import BanditScanner, DetectSecretsScanner, RuffScanner

    checkout = work / "direct"
    subprocess.run(["git", "clone", "-q", "--depth", "1", repo.as_uri(), str(checkout)], check=True)
    env = safe_env(str(work))
    each = {}
    started = time.perf_counter()
    for scanner in (BanditScanner(), RuffScanner(), DetectSecretsScanner()):
        t0 = time.perf_counter()
        subprocess.run(
            scanner.command(checkout),
            cwd=checkout,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        each[scanner.name] = time.perf_counter() - t0
    return time.perf_counter() - started, each


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="django", help="installed package whose source is scanned")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

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
        run(args.package, work, settings)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(work, ignore_errors=True)


def run(package: str, work: Path, settings) -> None:
    from projects.models import Project
    from rescans import services as service

    repo = work / "repo"
    repo.mkdir()
    files, lines = build_repository(package, repo)
    settings.SCAN_LOCAL_ROOTS = [str(work)]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    project = Project.objects.create(
        name=f"{package} benchmark", slug="bench-rescan", repository_url=str(repo)
    )

    direct_s, each = scanners_alone(repo, work)

    def rescan(force: bool):
        audit = service.project_rescan_request(project_id=project.pk, force=force, enqueue=False)
        t0 = time.perf_counter()
        audit = service.audit_rescan_run(audit_id=audit.pk)
        return time.perf_counter() - t0, audit

    rescan_s, audit = rescan(force=True)
    no_change_s, unchanged = rescan(force=False)
    run = audit.rescan_run
    findings = {name: part.get("findings") for name, part in run.parts.items()}

    print(
        f"Re-scan benchmark: {package} source, {files:,} Python files, {lines:,} lines; "
        f"{os.cpu_count()} CPUs, {connection_vendor()}, SCAN_PARALLELISM={settings.SCAN_PARALLELISM}"
    )
    print(
        f"  scanners alone, one after the other: {direct_s:7.2f} s  ("
        + ", ".join(f"{k} {v:.2f} s" for k, v in each.items())
        + ")"
    )
    print(
        f"  whole re-scan (service):             {rescan_s:7.2f} s  ("
        + ", ".join(f"{k} {p['duration_s']:.2f} s" for k, p in run.parts.items())
        + ")"
    )
    ratio = rescan_s / direct_s
    print(
        f"  ratio re-scan / scanners alone:      {ratio:7.2f}   (target <= 1.15: "
        f"{'met' if ratio <= 1.15 else 'NOT met'})"
    )
    print(
        f"  same commit again, no --force:       {no_change_s:7.2f} s  (outcome "
        f"{unchanged.rescan_run.outcome})"
    )
    print(f"  findings imported: {findings}; status {audit.status}, missing {run.missing}")


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    main()
