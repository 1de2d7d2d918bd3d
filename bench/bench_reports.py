"""Report import/export benchmark: reading, importing and exporting Markdown audit reports.

    .venv/bin/python bench/bench_reports.py --corpus [--detail]
    .venv/bin/python bench/bench_reports.py [--repeat 20] [--items 2000] [--findings 500]

--corpus needs no database: it reads every fixture report of reports/tests/corpus (each with a
hand-written truth file) and prints the share of the stated facts the importer recovers, per
category (accepted, project, verdict, date, version, stated scores kept, scores invented,
global, metrics, checklist items and states, findings) and overall; --detail lists the misses.

Needs PostgreSQL (DATABASE_URL); works in a scratch database (test_<name>_reports) that it
creates and drops, so it never touches real data. It prints:
  - decode (encoding repair) + parse time per report for each fixture report of the test suite
    (mean of --repeat runs), no database involved beyond the domain list;
  - for a generated large report (--items checklist items in 20 sections, --findings findings,
    9 domain scores, a metrics table): its size, parse time, import time and SQL queries, the
    re-import (duplicate detection) and the export of the imported audit.
The point: importing writes in bulk, so the query count grows with the number of checklists
(one INSERT each), not with the number of items or findings.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditor.settings")
os.environ.setdefault("SECRET_KEY", "insecure-key-for-benchmarks-only")
FIXTURES = ROOT / "reports" / "tests" / "samples"
CORPUS = ROOT / "reports" / "tests" / "corpus"
SEVERITIES = ["Critical", "High", "Medium", "Low"]


def measure(label: str, func) -> object:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - started
    print(f"  {label:<46} {elapsed * 1000:9.1f} ms  queries={len(queries)}", flush=True)
    return result


def large_report(*, items: int, findings: int) -> str:
    lines = [
        "# Load Test Platform — Audit Report",
        "",
        "**Project:** Load Test Platform",
        "**Date:** 2025-05-04",
        "**Verdict:** Ready with reservations",
        "",
        "## Metrics",
        "",
        "| Metric | Value |",
        "|---|---|",
        "| Tests | 1520 passed, 3 failed, 12 skipped |",
        "| Coverage | 83.5% |",
        "| Security issues | 0 critical, 2 high, 9 medium, 40 low |",
        "| Files | 2,410 |",
        "| Lines of code | ~310,000 |",
        "",
        "## Maturity scores",
        "",
        "| Domain | Score |",
        "|---|---|",
    ]
    for name, score in (
        ("Code quality", 7),
        ("Sécurité", 6),
        ("Tests", 8),
        ("Docs", 5),
        ("Architecture", 7),
        ("Déploiement", 8),
        ("Monitoring", 4),
        ("Performance", 6),
        ("Fiabilité", 7),
    ):
        lines.append(f"| {name} | {score}/10 |")
    lines += ["| **Global** | **6.6/10** |", "", "## Findings", ""]
    per_group = max(1, findings // len(SEVERITIES))
    for severity in SEVERITIES:
        lines += [f"### {severity}", ""]
        lines += [
            f"- {severity} issue number {n} in the request pipeline — `app/module_{n % 50}.py:{n + 1}`"
            f" — {'fixed' if n % 3 == 0 else 'open'}"
            for n in range(per_group)
        ]
        lines.append("")
    for section in range(20):
        lines += [f"## Checklist: Area {section}", "", "### Before release", ""]
        lines += [
            f"- [{'x' if n % 2 else ' '}] Check number {n} of area {section}" for n in range(items // 20)
        ]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="store_true", help="Facts recovered on the fixture corpus.")
    parser.add_argument("--detail", action="store_true", help="With --corpus: list every miss.")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--findings", type=int, default=500)
    args = parser.parse_args()

    import django

    django.setup()
    if args.corpus:
        corpus(detail=args.detail)
        return
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    if connection.vendor != "postgresql":
        sys.exit("bench_reports needs PostgreSQL: set DATABASE_URL=postgres://...")
    setup_test_environment()
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        f"test_{settings.DATABASES['default']['NAME']}_reports"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def corpus(*, detail: bool) -> None:
    from reports.corpus import CATEGORIES, default_domains, run_corpus

    started = time.perf_counter()
    tally = run_corpus(CORPUS, default_domains())
    elapsed = time.perf_counter() - started
    reports = len(list(CORPUS.glob("*.truth.json")))
    print(f"corpus: {reports} reports with truth files, read in {elapsed:.2f} s")
    for category in CATEGORIES:
        right, total = tally.right[category], tally.total[category]
        print(f"  {category:<28} {right:5} / {total:<5} {tally.share(category) * 100:6.1f}%")
    right, total = sum(tally.right.values()), sum(tally.total.values())
    print(f"  {'overall':<28} {right:5} / {total:<5} {tally.share() * 100:6.1f}%")
    print(f"  inverted verdicts: {len(tally.inverted_verdicts)} {tally.inverted_verdicts or ''}")
    if detail:
        for miss in tally.misses:
            print(f"    {miss}")


def run(args) -> None:
    from projects.models import MaturityDomain, Project
    from reports.encoding import decode_report
    from reports.export import audit_to_markdown
    from reports.markdown import clean, norm
    from reports.parser import parse_report
    from reports.services import report_import

    domains = list(MaturityDomain.objects.all())
    print(f"decode + parse, mean of {args.repeat} runs (no database)")
    for path in sorted(FIXTURES.iterdir()):
        if path.suffix not in (".md", ".txt"):
            continue
        content = path.read_bytes()
        started = time.perf_counter()
        for _ in range(args.repeat):
            clean.cache_clear()  # cold every time: no help from the previous run
            norm.cache_clear()
            text, _notes = decode_report(content)
            parse_report(text, domains=domains)
        elapsed = (time.perf_counter() - started) / args.repeat
        print(f"  {path.name:<46} {elapsed * 1000:9.2f} ms  ({len(content):,} bytes)", flush=True)

    content = large_report(items=args.items, findings=args.findings).encode()
    print(
        f"large report: {len(content):,} bytes, {args.items:,} checklist items, "
        f"{args.findings:,} findings, 20 checklists"
    )
    text, _ = decode_report(content)
    measure("decode + parse", lambda: parse_report(text, domains=domains))
    project = Project.objects.create(name="Load Test Platform", slug="load-test-platform")
    # Includes the scoring recompute that runs right after the import commits.
    result = measure(
        "import (one transaction + recompute)",
        lambda: report_import(content=content, file_name="large.md", project=project),
    )
    measure(
        "re-import (duplicate detected, no writes)",
        lambda: report_import(content=content, file_name="large.md", project=project),
    )
    markdown = measure("export audit_to_markdown", lambda: audit_to_markdown(result.audit))
    print(f"    -> exported {len(markdown.encode()):,} bytes", flush=True)
    other = Project.objects.create(name="Copy", slug="copy")
    measure(
        "import of the export into a new project",
        lambda: report_import(content=markdown.encode(), file_name="export.md", project=other),
    )


if __name__ == "__main__":
    main()
