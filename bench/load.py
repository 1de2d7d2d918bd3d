"""Load test: gunicorn with its production config (gunicorn.conf.py) on PostgreSQL, loopback only.

50 concurrent clients for 60 seconds on a mix of the portfolio, a project page, an audit report
and the CI upload endpoint; prints requests, errors, p50/p95 latency and throughput per page.
Then the portfolio alone with 1 and with 4 gunicorn workers, and the throughput ratio.

    python bench/load.py [--clients 50] [--duration 60] [--scaling-duration 20] [--projects 100]

Uses its own database (BENCH_DATABASE_URL, default: DATABASE_URL's server with the database
`auditor_bench_load`), created, migrated and seeded (seed_benchmark) on first use. The clients
are threads with keep-alive connections, sending X-Forwarded-Proto: https as the TLS proxy of
a production set-up would (SECURE_PROXY_SSL_HEADER is set for the gunicorn under test).
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BANDIT_REPORT = (ROOT / "findings" / "tests" / "fixtures" / "bandit_v1.json").read_bytes()


def bench_database_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/auditor")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("load.py needs PostgreSQL: set DATABASE_URL or BENCH_DATABASE_URL to a postgres:// URL")
    return urlunsplit(parts._replace(path="/auditor_bench_load"))


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare(env: dict, projects: int) -> dict:
    """Migrate and seed the bench database; return the targets, a session cookie, a CI token."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from findings.services.tokens import api_token_create
    from projects.models import Audit, Project

    call_command("migrate", verbosity=0, interactive=False)
    if not Project.objects.filter(slug__startswith="bench-").exists():
        print(f"seeding {projects} projects (seed_benchmark) ...", flush=True)
        call_command("seed_benchmark", projects=projects, verbosity=0)
    user, _ = User.objects.get_or_create(
        username="load-bench", defaults={"is_staff": True, "is_superuser": True}
    )
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    project = Project.objects.filter(slug__startswith="bench-").order_by("pk").first()
    audit = Audit.objects.filter(project=project).order_by("-audit_date", "-id").first()
    upload_project = Project.objects.get_or_create(
        slug="load-bench-uploads", defaults={"name": "Load bench uploads"}
    )[0]
    _token, raw = api_token_create(project=upload_project, name=f"load {uuid.uuid4().hex[:6]}")
    return {
        "cookie": f"sessionid={session.session_key}",
        "token": raw,
        "targets": {
            "portfolio": ("GET", "/maturity/"),
            "project page": ("GET", f"/projects/{project.slug}/"),
            "audit report": ("GET", f"/audits/{audit.pk}/"),
            "CI upload": ("POST", f"/api/projects/{upload_project.slug}/scans/"),
        },
    }


def multipart(content: bytes, name: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: application/json\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


class Gunicorn:
    def __init__(self, env: dict, workers: int):
        self.port = free_port()
        self.env = {
            **env,
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_MAX_REQUESTS": "0",
        }

    def __enter__(self):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "auditor.wsgi"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
                conn.getresponse().read()
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by gunicorn's master and its live workers."""
        tick = os.sysconf("SC_CLK_TCK")
        pids = [self.proc.pid]
        try:
            pids += [
                int(p)
                for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            ]
        except OSError:
            pass
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        return total

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.seek(0)
        errors = [
            line
            for line in self.log.read().decode(errors="replace").splitlines()
            if "ERROR" in line or "Traceback" in line
        ]
        self.log.close()
        for line in errors[:5]:
            print(f"  gunicorn log: {line[:300]}", flush=True)


def run_load(server: Gunicorn, setup: dict, mix: dict[str, int], clients: int, duration: float) -> dict:
    port = server.port
    targets = setup["targets"]
    names = [name for name, weight in mix.items() for _ in range(weight)]
    results: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    error_samples: list[str] = []
    lock = threading.Lock()
    start = time.monotonic()
    stop_at = start + duration

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            name = rng.choice(names)
            method, path = targets[name]
            headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "Cookie": setup["cookie"]}
            body = None
            if method == "POST":
                body, ctype = multipart(BANDIT_REPORT, "bandit.json")
                headers = {
                    "Host": "127.0.0.1",
                    "X-Forwarded-Proto": "https",
                    "Authorization": f"Bearer {setup['token']}",
                    "Content-Type": ctype,
                }
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status < 400
                detail = f"{name}: HTTP {response.status}"
            except (OSError, http.client.HTTPException) as exc:
                ok, detail = False, f"{name}: {type(exc).__name__}: {exc}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = time.perf_counter() - t0
            with lock:
                if ok:
                    results[name].append(elapsed)
                else:
                    errors[name] += 1
                    if len(error_samples) < 5:
                        error_samples.append(detail)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    server_cpu = server.cpu_seconds()
    client_cpu = sum(os.times()[:2])
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    return {
        "results": results,
        "errors": errors,
        "wall": wall,
        "samples": error_samples,
        "server_cores": (server.cpu_seconds() - server_cpu) / wall,
        "client_cores": (sum(os.times()[:2]) - client_cpu) / wall,
        "loadavg": os.getloadavg()[0],
    }


def print_run(title: str, run: dict) -> None:
    print(title, flush=True)
    total_ok = sum(len(v) for v in run["results"].values())
    total_err = sum(run["errors"].values())
    for name in sorted(set(run["results"]) | set(run["errors"])):
        timings = run["results"][name]
        print(
            f"  {name:<14} ok={len(timings):<6} errors={run['errors'][name]:<4} "
            f"p50={percentile(timings, 50) * 1000:7.1f} ms  p95={percentile(timings, 95) * 1000:7.1f} ms  "
            f"{len(timings) / run['wall']:6.1f} req/s",
            flush=True,
        )
    print(
        f"  {'all':<14} ok={total_ok:<6} errors={total_err:<4} "
        f"p95={percentile([t for v in run['results'].values() for t in v], 95) * 1000:7.1f} ms  "
        f"{total_ok / run['wall']:6.1f} req/s over {run['wall']:.1f} s",
        flush=True,
    )
    print(
        f"  CPU: gunicorn used {run['server_cores']:.2f} cores, the load clients "
        f"{run['client_cores']:.2f} cores (machine: {os.cpu_count()} CPUs, "
        f"1-minute load average {run['loadavg']:.1f})",
        flush=True,
    )
    for sample in run["samples"]:
        print(f"  error sample: {sample}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--scaling-duration",
        type=float,
        default=20,
        help="seconds of portfolio-only load with 1 and with 4 workers (0 = skip)",
    )
    parser.add_argument("--projects", type=int, default=100, help="projects to seed on first use")
    args = parser.parse_args()

    db_url = bench_database_url()
    create_database(db_url)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15"),
        "DJANGO_SETTINGS_MODULE": "auditor.settings",
        "LOG_LEVEL": "WARNING",
        "AUDITOR_MAX_UPLOAD_BYTES": str(10 * 1024 * 1024),
    }
    env.pop("SECURE_SSL_REDIRECT", None)
    # As in the image: static files collected (hashed, compressed) before gunicorn starts.
    static_root = tempfile.mkdtemp(prefix="auditor-load-static-")
    env["STATIC_ROOT"] = static_root
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    setup = prepare(env, args.projects)
    print(
        f"load: {args.clients} clients, {args.duration:.0f} s, gunicorn {args.workers} workers "
        f"(gunicorn.conf.py), PostgreSQL, {os.cpu_count()} CPUs",
        flush=True,
    )

    with Gunicorn(env, args.workers) as server:
        mix = {"portfolio": 3, "project page": 3, "audit report": 3, "CI upload": 1}
        run = run_load(server, setup, mix, args.clients, args.duration)
    print_run("mixed load (portfolio 30%, project page 30%, audit report 30%, CI upload 10%):", run)
    failed = sum(run["errors"].values()) > 0

    if args.scaling_duration > 0:
        throughput = {}
        for workers in (1, 4):
            with Gunicorn(env, workers) as server:
                scaling = run_load(server, setup, {"portfolio": 1}, args.clients, args.scaling_duration)
            print_run(f"portfolio only, {workers} worker(s):", scaling)
            throughput[workers] = len(scaling["results"]["portfolio"]) / scaling["wall"]
            failed = failed or sum(scaling["errors"].values()) > 0
        ratio = throughput[4] / throughput[1] if throughput[1] else float("nan")
        print(
            f"portfolio throughput 4 workers / 1 worker: {ratio:.2f}x "
            f"({throughput[1]:.1f} -> {throughput[4]:.1f} req/s)",
            flush=True,
        )
    shutil.rmtree(static_root, ignore_errors=True)
    print("errors: none" if not failed else "errors: SOME REQUESTS FAILED", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
