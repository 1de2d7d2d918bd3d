"""Findings import benchmark: 50,000-result Bandit and SARIF reports over 5,000 files.

    .venv/bin/python bench/bench_import.py [--results 50000] [--files 5000] [--repeat 1]

Needs PostgreSQL (DATABASE_URL); it works in a scratch database (test_<name>) that it creates
and drops, so it never touches real data. For each format, in a fresh process:
  1. first import of the report,
  2. re-import of the identical file,
  3. re-import with 10% of the results removed and 10% new ones,
and, as a floor, a raw COPY of the same rows into a scratch table with the findings table's
columns (no index, no constraint), and PostgreSQL's own part of a first import: the same rows
COPYed into findings_finding itself with its deferred foreign-key checks, rolled back (wall and
CPU seconds of the database backend). It prints findings per second (wall time, parsing included),
the ratio to the COPY floor, the number of SQL statements (COPY included), the CPU time of the
importing process (PostgreSQL's own work not included), the peak memory (RSS) per format, and
the machine's load average (the figures are wall-clock: other work on the machine slows them).

Then the whole command, `manage.py import_scan`, in new processes (process start-up included):
each format's report (read whole; --repeat times, each into a new project), the Bandit report
streamed (forced, IMPORT_STREAM_BYTES=0), and a --big report (1,000,000 Bandit results by
default, written here one result at a time, about 460 MB; not kept), streamed: its peak RSS next
to the 50,000 one shows memory does not grow with the report. Each line shows the command
process's own CPU seconds (PostgreSQL's not included: steadier than the wall time on a busy
machine), and ends with the import's own time as the command reports it (up to its commit): the
rest is start-up, the commit (where PostgreSQL checks the deferred foreign keys), what runs
after it, and exit.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditor.settings")


def _code_line(i: int) -> str:
    kinds = (
        "result_{i} = eval(payload_{i})",
        "subprocess.call(cmd_{i}, shell=True)",
        "digest_{i} = hashlib.md5(data_{i})",
        "obj_{i} = pickle.loads(blob_{i})",
    )
    return kinds[i % 4].format(i=i)


def _rule(i: int) -> tuple[str, str]:
    return (
        ("B307", "blacklist"),
        ("B602", "subprocess_popen_with_shell_equals_true"),
        ("B324", "hashlib"),
        ("B301", "blacklist"),
    )[i % 4]


def bandit_result(i: int, files: int) -> dict:
    test_id, test_name = _rule(i)
    line = 10 + (i // files) * 3
    return {
        "code": f"{line - 1} # context\n{line} {_code_line(i)}\n{line + 1} \n",
        "col_offset": 4,
        "end_col_offset": 40,
        "filename": f"./pkg{i % 50}/module_{i % files}.py",
        "issue_confidence": "HIGH",
        "issue_cwe": {"id": 78, "link": "https://cwe.mitre.org/"},
        "issue_severity": ("LOW", "MEDIUM", "HIGH")[i % 3],
        "issue_text": f"Possible security issue number {i}.",
        "line_number": line,
        "line_range": [line],
        "more_info": "https://bandit.readthedocs.io/",
        "test_id": test_id,
        "test_name": test_name,
    }


def _bandit_head(count: int) -> dict:
    totals = {"loc": count * 20, "SEVERITY.HIGH": 0, "SEVERITY.MEDIUM": 0, "SEVERITY.LOW": 0}
    return {"errors": [], "generated_at": "2026-01-01T00:00:00Z", "metrics": {"_totals": totals}}


def bandit_report(ids: list[int], files: int) -> bytes:
    return json.dumps({**_bandit_head(len(ids)), "results": [bandit_result(i, files) for i in ids]}).encode()


SARIF_RULES = [
    {
        "id": f"S{n}",
        "shortDescription": {"text": f"Rule {n}"},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["security"]},
    }
    for n in range(20)
]


def sarif_result(i: int, files: int) -> dict:
    line = 10 + (i // files) * 3
    return {
        "ruleId": f"S{i % 20}",
        "ruleIndex": i % 20,
        "level": ("error", "warning", "note")[i % 3],
        "message": {"text": f"Possible security issue number {i}."},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": f"pkg{i % 50}/module_{i % files}.py",
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": {"startLine": line, "snippet": {"text": _code_line(i)}},
                }
            }
        ],
    }


def _sarif_doc(results: list) -> dict:
    return {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [
            {
                "tool": {"driver": {"name": "BenchScanner", "rules": SARIF_RULES}},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///src/"}},
                "results": results,
            }
        ],
    }


def sarif_report(ids: list[int], files: int) -> bytes:
    return json.dumps(_sarif_doc([sarif_result(i, files) for i in ids])).encode()


def write_report(path: Path, fmt: str, count: int, files: int) -> int:
    """The report `fmt` of `count` results written to `path` one result at a time (the bench
    itself never holds a million results); returns its size in bytes."""
    marker = "@RESULTS@"
    if fmt == "bandit":
        head, tail = json.dumps({**_bandit_head(count), "results": [marker]}).split(json.dumps(marker))
        make = bandit_result
    else:
        head, tail = json.dumps(_sarif_doc([marker])).split(json.dumps(marker))
        make = sarif_result
    with path.open("w") as out:
        out.write(head)
        for i in range(count):
            if i:
                out.write(", ")
            out.write(json.dumps(make(i, files)))
        out.write(tail)
    return path.stat().st_size


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(fmt: str, results: int, files: int) -> dict:
    """One format's three import steps and the COPY floor, in this (fresh) process."""
    import django

    django.setup()
    import psycopg
    from django.db import connection
    from django.utils import timezone

    from findings import sla
    from findings.fingerprints import assign_fingerprints
    from findings.importers import parse_scan
    from findings.models import ImportRun
    from findings.services import scan_writes, scans
    from projects.models import Project

    statements = {"n": 0}

    def count(execute, sql, params, many, context):
        statements["n"] += 1
        return execute(sql, params, many, context)

    original_copy = psycopg.Cursor.copy

    def counted_copy(self, *args, **kwargs):
        statements["n"] += 1
        return original_copy(self, *args, **kwargs)

    psycopg.Cursor.copy = counted_copy
    make = bandit_report if fmt == "bandit" else sarif_report
    first_ids = list(range(results))
    tenth = results // 10
    # 10% removed (the first tenth) and 10% new ids.
    changed_ids = first_ids[tenth:] + list(range(results, results + tenth))
    project = Project.objects.create(name=f"bench {fmt}", slug=f"bench-{fmt}-{os.getpid()}")
    out = {"format": fmt, "steps": []}
    for label, ids in (
        ("first import", first_ids),
        ("re-import, identical", first_ids),
        ("re-import, 10% gone 10% new", changed_ids),
    ):
        content = make(ids, files)
        statements["n"] = 0
        cpu_started = time.process_time()
        started = time.perf_counter()
        with connection.execute_wrapper(count):
            run = scans.scan_import(project=project, content=content, file_name=f"bench.{fmt}", format="auto")
        elapsed = time.perf_counter() - started
        out["steps"].append(
            {
                "step": label,
                "seconds": elapsed,
                "cpu": time.process_time() - cpu_started,
                "findings": len(ids),
                "queries": statements["n"],
                "created": run.created_count,
                "still_open": run.still_open_count,
                "resolved": run.resolved_count,
                "mb": len(content) / 1e6,
            }
        )
        del content

    # Floor: COPY the same rows (as the importer builds them) into a bare scratch table.
    report = parse_scan(make(first_ids, files), format="auto")
    assign_fingerprints(report.findings)
    run = ImportRun(project=project)
    now = timezone.now()
    columns = ", ".join(scan_writes.COPY_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_copy_floor (LIKE findings_finding INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY bench_copy_floor ({columns}) FROM STDIN") as copy:
            for chunk in scan_writes.copy_chunks(
                run, report.findings, {}, now, sla.days_by_severity(project)
            ):
                copy.write(chunk)
        out["copy_seconds"] = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy_floor")
    out["schema_floor"] = _schema_floor(report)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _schema_floor(report) -> dict:
    """PostgreSQL's own part of a first import: the same rows COPYed into findings_finding itself
    (every index of the table) for a new project, and its deferred foreign-key checks run, then
    rolled back. Wall and CPU seconds of the PostgreSQL backend (read from /proc, where there is
    one: the database on this machine), apart from this process's."""
    from django.db import connection, transaction
    from django.utils import timezone

    from findings import sla
    from findings.models import ImportRun
    from findings.services import scan_writes
    from projects.models import MaturityDomain, Project

    columns = ", ".join(scan_writes.COPY_COLUMNS)
    out = {}
    with transaction.atomic():
        project = Project.objects.create(name="bench floor", slug=f"bench-floor-{os.getpid()}")
        domains = dict(MaturityDomain.objects.values_list("slug", "pk"))
        run = ImportRun(project=project)
        chunks = list(
            scan_writes.copy_chunks(
                run, report.findings, domains, timezone.now(), sla.days_by_severity(project)
            )
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
            for step in ("copy", "foreign keys"):
                cpu, started = _backend_cpu(pid), time.perf_counter()
                if step == "copy":
                    with cursor.cursor.copy(f"COPY findings_finding ({columns}) FROM STDIN") as copy:
                        for chunk in chunks:
                            copy.write(chunk)
                else:
                    # What the commit would check (Django's foreign keys are deferred).
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                out[step] = (time.perf_counter() - started, _backend_cpu(pid) - cpu)
        transaction.set_rollback(True)
    return out


def _backend_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=50_000)
    parser.add_argument("--files", type=int, default=5_000)
    parser.add_argument("--formats", default="bandit,sarif", help="Comma-separated, in order.")
    parser.add_argument(
        "--big",
        type=int,
        default=1_000_000,
        help="results of the large Bandit report imported streamed by the command (0: skip)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="whole-command runs of each format's report (new project each)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.results, args.files)))
        return

    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench_import needs PostgreSQL: set DATABASE_URL=postgres://...")
    from django.conf import settings

    old_name = settings.DATABASES["default"]["NAME"]
    # Its own scratch database, so it never collides with a test run's test_<name>.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{old_name}_bench_import"
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    env = {**os.environ, "DATABASE_URL": _url_for(test_name)}
    try:
        reports = []
        for fmt in args.formats.split(","):
            result = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    fmt,
                    "--results",
                    str(args.results),
                    "--files",
                    str(args.files),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode:
                raise SystemExit(result.stderr)
            reports.append(json.loads(result.stdout.strip().splitlines()[-1]))
        commands = _command_runs(args, env)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"Findings import benchmark: {args.results:,} results over {args.files:,} files, "
        f"PostgreSQL, {os.cpu_count()} CPUs (load average at the end: {load})"
    )
    for report in reports:
        copy_seconds = report["copy_seconds"]
        print(
            f"\n{report['format']} ({report['steps'][0]['mb']:.1f} MB report); COPY floor: "
            f"{args.results:,} rows in {copy_seconds:.2f} s = "
            f"{args.results / copy_seconds:,.0f} rows/s; peak RSS {report['peak_rss_mb']:.0f} MB"
        )
        floor = report["schema_floor"]
        print(
            f"  PostgreSQL's part alone, into findings_finding (its indexes, rolled back): COPY "
            f"{floor['copy'][0]:.2f} s ({floor['copy'][1]:.2f} CPU s), deferred foreign-key checks "
            f"{floor['foreign keys'][0]:.2f} s ({floor['foreign keys'][1]:.2f} CPU s)"
        )
        print(
            f"  {'step':<30} {'seconds':>8} {'findings/s':>11} {'x COPY':>7} {'queries':>8}"
            f" {'app CPU s':>9}  created/still open/resolved"
        )
        for step in report["steps"]:
            rate = step["findings"] / step["seconds"]
            print(
                f"  {step['step']:<30} {step['seconds']:>8.2f} {rate:>11,.0f} "
                f"{step['seconds'] / copy_seconds:>7.1f} {step['queries']:>8} {step['cpu']:>9.2f}  "
                f"{step['created']}/{step['still_open']}/{step['resolved']}"
            )
    print("\nWhole command, `python manage.py import_scan` in a new process (start-up included):")
    for run in commands:
        rate = f"{run['results'] / run['seconds']:>9,.0f} findings/s" if run["results"] else " " * 20
        # The import's own time as the command reports it (up to its commit).
        inside = f"  import {run['import_ms'] / 1000:5.2f} s" if run["import_ms"] is not None else ""
        print(
            f"  {run['label']:<44} {run['seconds']:>7.2f} s {rate}  CPU {run['cpu']:5.2f} s"
            f"  peak RSS {run['rss_mb']:>4.0f} MB"
            f"  (load {run['load']:.1f}){inside}"
        )
    target = args.results / 30_000
    print(f"  target: at least 30,000 findings/s, {args.results:,} results in {target:.2f} s or less")


def _command_runs(args, env: dict) -> list[dict]:
    """The import command end to end, in new processes: 50,000 results of each format read
    whole, the same Bandit report streamed, and the --big report (streamed)."""
    import tempfile

    from projects.models import Project

    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        runs.append(_command("start-up alone (unknown project, exits at once)", env, "none", Path(folder), 0))
        for fmt in args.formats.split(","):
            path = Path(folder) / f"report.{fmt}"
            mb = write_report(path, fmt, args.results, args.files) / 1e6
            for repeat in range(args.repeat):
                suffix = f"-{repeat}" if repeat else ""
                slug = Project.objects.create(
                    name=f"command {fmt}{suffix}", slug=f"command-{fmt}{suffix}"
                ).slug
                for step in ("first import", "re-import, identical"):
                    label = f"{fmt} {args.results:,} ({mb:.0f} MB), {step}"
                    runs.append(_command(label, env, slug, path, args.results))
        if not args.big:
            return runs
        path = Path(folder) / "report.bandit"
        streamed = {**env, "IMPORT_STREAM_BYTES": "0"}
        slug = Project.objects.create(name="streamed", slug="command-streamed").slug
        label = f"bandit {args.results:,}, streamed (forced)"
        runs.append(_command(label, streamed, slug, path, args.results))
        path = Path(folder) / "big.bandit"
        size = write_report(path, "bandit", args.big, args.files)
        slug = Project.objects.create(name="big", slug="command-big").slug
        big = {**env, "AUDITOR_MAX_UPLOAD_BYTES": str(size)}
        label = f"bandit {args.big:,} ({size / 1e6:.0f} MB), streamed"
        runs.append(_command(label, big, slug, path, args.big))
    return runs


def _command(label: str, env: dict, slug: str, path: Path, results: int) -> dict:
    import tempfile

    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 (our own command, no shell)
            [sys.executable, str(ROOT / "manage.py"), "import_scan", "--project", slug, str(path)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if process.returncode and results:
        raise SystemExit(f"{label}: {text}")
    if results and f"created: {results}" not in text and "created: 0" not in text:
        raise SystemExit(f"{label}: unexpected output {text}")
    reported = re.search(r" in (\d+) ms", text)
    return {
        "label": label,
        "seconds": seconds,
        "results": results,
        "rss_mb": usage.ru_maxrss / 1024,
        "cpu": usage.ru_utime + usage.ru_stime,
        "load": os.getloadavg()[0],
        "import_ms": int(reported.group(1)) if reported else None,
    }


def _url_for(database: str) -> str:
    from django.db import connection

    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}"


if __name__ == "__main__":
    main()
