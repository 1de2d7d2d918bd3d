"""Start web, Celery worker and Celery beat together in the foreground (used by `make run`).

Ctrl-C (or SIGTERM) stops all three; if one of them dies, the others are stopped too.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

# One machine, one worker: it consumes both queues (docs/deployment.md runs one per queue).
WORKER_QUEUES = "default,scans"


def worker_command(python: str) -> list[str]:
    """The worker of `make run`: both queues, two processes."""
    return [
        python,
        "-m",
        "celery",
        "-A",
        "auditor",
        "worker",
        "--loglevel=INFO",
        f"--queues={WORKER_QUEUES}",
        "--concurrency=2",
    ]


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port for the web server")

    def handle(self, *args, addr: str, **options):
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
            "worker": worker_command(python),
            "beat": [python, "-m", "celery", "-A", "auditor", "beat", "--loglevel=INFO"],
        }
        processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"auditor is starting on http://{addr}/ (Ctrl-C stops web, worker, beat)")
        exit_code = 0
        try:
            while not stopping:
                for name, proc in processes.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with code {proc.returncode}; stopping.")
                        exit_code = proc.returncode or 1
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            for proc in processes.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for proc in processes.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if exit_code:
            sys.exit(exit_code)
