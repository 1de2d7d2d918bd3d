"""python manage.py run_beat [--poll 5] [-- COMMAND...]: beat, only while this process holds the
installation's beat lock (a PostgreSQL advisory lock): start one on every host that may run beat,
one runs it and the others wait to take over (ops/beat_lock.py)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand
from django.db import connection

from ops.beat_lock import connection_params, run_single

BEAT = [sys.executable, "-m", "celery", "-A", "auditor", "beat", "--loglevel=INFO", "--pidfile="]


class Command(BaseCommand):
    help = "Run celery beat while holding the installation's beat lock (PostgreSQL advisory lock)."

    def add_arguments(self, parser):
        parser.add_argument("--poll", type=float, default=5.0, help="Seconds between checks (default 5).")
        parser.add_argument("command", nargs="*", help="The beat command (default: celery -A auditor beat).")

    def handle(self, *args, poll: float, command: list[str], **options):
        argv = command or BEAT

        def say(message: str) -> None:
            self.stdout.write(message)
            self.stdout.flush()

        if connection.vendor != "postgresql":
            # One machine (SQLite): there is nothing to share a lock with.
            say("not PostgreSQL: running beat without a lock")
            from subprocess import call  # noqa: S404

            sys.exit(call(argv))  # noqa: S603
        connection.close()  # the lock uses a connection of its own
        sys.exit(run_single(argv, params=connection_params(connection.settings_dict), poll=poll, say=say))
