"""Page latency benchmark: portfolio, project page, audit report and the findings admin list.

Requests each page many times through the Django test client (with the SQL query count), then
over HTTP against gunicorn, and prints p50 / p95 latency. Runs on PostgreSQL, in its own
database so a million synthetic findings never land in a working one: BENCH_DATABASE_URL, or
the database of DATABASE_URL with "_bench" appended (created and migrated when missing, seeded
with `seed_benchmark` when it holds no benchmark project; later runs reuse it).

    python bench/bench_pages.py [--seed-projects 1000] [--requests 30] [--no-gunicorn]

Targets (2-core machine): at 1,000 projects / 1M findings, portfolio p95 <= 300 ms, project page
p95 <= 150 ms, findings admin changelist p95 <= 300 ms; at 10,000 projects / 10M findings
(`--seed-projects 10000`, or BENCH_DATABASE_URL pointing at a database seeded so), p95 <= 300 ms
for every page, the API list endpoints included; query counts independent of size.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditor.settings")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def report(label: str, timings: list[float], queries: int | None = None) -> None:
    line = (
        f"{label:<46} n={len(timings):<4} p50={statistics.median(timings) * 1000:7.1f} ms  "
        f"p95={percentile(timings, 95) * 1000:7.1f} ms"
    )
    if queries is not None:
        line += f"  queries={queries}"
    print(line, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_database_url() -> str:
    """BENCH_DATABASE_URL, or DATABASE_URL's database + "_bench"; created when missing."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(
            "The page benchmark needs PostgreSQL: set DATABASE_URL (or "
            "BENCH_DATABASE_URL) to a postgres:// URL."
        )
    if not os.environ.get("BENCH_DATABASE_URL"):
        parts = parts._replace(path=parts.path.rstrip("/") + "_bench")
    name = parts.path.lstrip("/")
    import psycopg
    from psycopg import sql

    server = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}", flush=True)
    return urllib.parse.urlunsplit(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seed-projects",
        type=int,
        default=1000,
        help="projects to seed when the database holds no benchmark project",
    )
    parser.add_argument("--requests", type=int, default=30, help="requests per page and mode")
    parser.add_argument("--no-gunicorn", action="store_true")
    parser.add_argument(
        "--only", default="", help="comma-separated words: only the pages whose label holds one"
    )
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = bench_database_url()
    # Production-like: DEBUG off, hashed static files collected into a temporary folder.
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    os.environ.update(
        {
            "STATIC_ROOT": static_root,
            "DEBUG": os.environ.get("DEBUG", "false"),
            "SECRET_KEY": os.environ.get("SECRET_KEY", "insecure-key-for-benchmarks"),
        }
    )
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True)

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from findings.models import Finding
    from projects.models import Audit, Project

    call_command("migrate", verbosity=0)
    if not Project.objects.filter(slug__startswith="bench-").exists():
        print(f"Seeding {args.seed_projects} projects...", flush=True)
        call_command("seed_benchmark", projects=args.seed_projects)
    from scoring.models import FindingMonth

    # Seeded rows bypass the after-commit refreshes. (At 10M findings the rebuild takes over half
    # an hour on the shared machine: --only without "trends" skips it, and the trends pages.)
    trends_ready = FindingMonth.objects.exists()
    if not trends_ready and (not args.only or "trends" in args.only):
        trends_ready = True
        print("Building the trends rollup...", flush=True)
        call_command("rebuild_trends")
    print(
        f"Dataset: {Project.objects.count():,} projects, {Audit.objects.count():,} audits, "
        f"{Finding.objects.count():,} findings",
        flush=True,
    )

    manager, _ = User.objects.get_or_create(
        username="bench-manager", defaults={"is_staff": True, "is_superuser": True}
    )
    rng = random.Random(7)  # noqa: S311
    slugs = list(
        Project.objects.filter(slug__startswith="bench-").values_list("slug", flat=True).order_by("?")[:200]
    )
    audits = list(Audit.objects.filter(project__slug__in=slugs[:50]).values_list("pk", flat=True))
    pages = [
        ("portfolio /maturity/", lambda: "/maturity/"),
        ("portfolio sorted by score desc", lambda: "/maturity/?o=-score"),
        ("portfolio 1,000 rows per page", lambda: "/maturity/?per_page=1000&o=-d:security"),
        ("project /projects/<slug>/", lambda: f"/projects/{rng.choice(slugs)}/"),
        ("audit report /audits/<id>/", lambda: f"/audits/{rng.choice(audits)}/"),
        ("trends, 12 months", lambda: "/maturity/trends/"),
        ("trends, 4 quarters, security", lambda: "/maturity/trends/?period=quarter&domain=security"),
        ("trends, one project", lambda: f"/maturity/trends/?project={rng.choice(slugs)}"),
        ("findings admin changelist", lambda: "/admin/findings/finding/"),
        (
            "findings admin, open + critical filter",
            lambda: "/admin/findings/finding/?status__exact=open&severity__exact=4",
        ),
        ("API projects list", lambda: "/api/v1/projects/"),
        ("API portfolio list", lambda: "/api/v1/portfolio/"),
        ("API audits list", lambda: "/api/v1/audits/"),
        ("API findings list", lambda: "/api/v1/findings/"),
        (
            "API findings, one project, open",
            lambda: f"/api/v1/findings/?project={rng.choice(slugs)}&status=open",
        ),
        (
            "API findings, open critical, by SLA due date",
            lambda: "/api/v1/findings/?status=open&severity=critical&ordering=sla_due_at",
        ),
    ]
    if args.only:
        pages = [page for page in pages if any(word in page[0] for word in args.only.split(","))]
    if not trends_ready:
        pages = [page for page in pages if "trends" not in page[0]]

    setup_test_environment()
    client = Client()
    client.force_login(manager)
    print("\nDjango test client (in process):", flush=True)
    for label, url in pages:
        client.get(url(), secure=True)  # warm-up
        timings, counts = [], set()
        for _ in range(args.requests):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url(), secure=True)
                timings.append(time.perf_counter() - start)
            assert response.status_code == 200, (label, response.status_code, response.content[:300])
            counts.add(len(queries))
        report(label, timings, max(counts))
    print(f"(load average {', '.join(f'{x:.1f}' for x in os.getloadavg())})", flush=True)

    if args.no_gunicorn:
        return 0
    session_cookie = client.cookies["sessionid"].value
    print("\ngunicorn over HTTP (2 workers):", flush=True)
    env = {**os.environ, "SECURE_SSL_REDIRECT": "false"}
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "auditor.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        headers = {"Cookie": f"sessionid={session_cookie}"}
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310 (local http)
                break
            except urllib.error.HTTPError:
                break  # answering (503 while beat is silent): the server is up
            except OSError:
                time.sleep(0.2)
        for label, url in pages:
            for _ in range(2):  # warm both workers
                warm = urllib.request.Request(base + url(), headers=headers)  # noqa: S310
                opener.open(warm, timeout=30).read()
            timings = []
            for _ in range(args.requests):
                request = urllib.request.Request(base + url(), headers=headers)  # noqa: S310
                start = time.perf_counter()
                with opener.open(request, timeout=30) as response:
                    response.read()
                    status = response.status
                timings.append(time.perf_counter() - start)
                assert status == 200, (label, status)
            report(label, timings)
        print(f"(load average {', '.join(f'{x:.1f}' for x in os.getloadavg())})", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
