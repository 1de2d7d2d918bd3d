"""python manage.py import_scan --project SLUG [--audit ID] [--format auto] [--dry-run] FILE"""

from __future__ import annotations

import argparse
import gc
from pathlib import Path

from django.core.checks import Tags
from django.core.checks.registry import registry
from django.core.management.base import BaseCommand, CommandError

from findings.importers import FORMAT_CHOICES, ScanFormatError
from findings.services.scan_stream import scan_import_file
from projects.models import Audit, Project
from projects.params import parse_id

EXIT_BAD_INPUT = 2


def _audit_id(text: str) -> int:
    # int() would read "١" as 1 and refuse "²" with a traceback-like message.
    value = parse_id(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not an audit id (a whole number)")
    return value


class Command(BaseCommand):
    help = "Import a scanner report (Bandit JSON, SARIF 2.1.0, Cobertura XML, JUnit XML)."
    # Every tagged system check but those of the pages, as an import serves none: the URL
    # configuration's imports every view of the site (about 150 modules, a tenth of the command's
    # start-up), the templates' every template tag library (0.1 CPU s, an eighth of it).
    requires_system_checks = sorted(registry.tags_available() - {Tags.urls, Tags.templates})

    def add_arguments(self, parser):
        parser.add_argument("file", help="The report file.")
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--audit", type=_audit_id, help="Audit id whose metrics the report feeds.")
        parser.add_argument("--format", default="auto", choices=[value for value, _label in FORMAT_CHOICES])
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what the import would change; write nothing."
        )

    def run_from_argv(self, argv):
        # The command line's entry (call_command does not come here): the process ends after it,
        # its database connection closed by Django. Python's shutdown would then run the cyclic
        # collector over every object start-up made, more than once: 0.3 to 0.9 s measured
        # after a 50,000-result import, as long as parsing it. Frozen, they are left to the
        # operating system.
        try:
            super().run_from_argv(argv)
        finally:
            gc.freeze()

    def handle(self, *args, **options):
        path = Path(options["file"])
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"no project with slug {options['project']!r}", returncode=EXIT_BAD_INPUT)
        audit = None
        if options["audit"] is not None:
            audit = Audit.objects.filter(pk=options["audit"], project=project).first()
            if audit is None:
                raise CommandError(
                    f"project {project.slug} has no audit {options['audit']}", returncode=EXIT_BAD_INPUT
                )
        # The import builds hundreds of thousands of objects that live until it ends: without the
        # cyclic collector re-scanning them, a 50,000-result report parses in about half the time
        # (measured: 1.3-1.7 s instead of 2.8-3.3 s at load average 8; the import makes no
        # reference cycles worth collecting). Restored afterwards (call_command in a process).
        gc.disable()
        try:
            # Large Bandit and SARIF files are streamed (constant memory), others read whole.
            run = scan_import_file(
                project=project,
                path=path,
                format=options["format"],
                audit=audit,
                dry_run=options["dry_run"],
            )
        except OSError as exc:
            raise CommandError(
                f"{path}: cannot read the file ({exc.strerror})", returncode=EXIT_BAD_INPUT
            ) from None
        except ScanFormatError as exc:
            raise CommandError(str(exc), returncode=EXIT_BAD_INPUT) from None
        finally:
            gc.enable()
        self._print(run, dry_run=options["dry_run"])

    def _print(self, run, *, dry_run: bool) -> None:
        out = self.stdout
        what = "Dry run (nothing written)" if dry_run else f"Import #{run.pk}"
        out.write(
            f"{what}: {run.format} report from {run.tool or 'unknown tool'} into "
            f"{run.project.slug} in {run.duration_ms} ms"
        )
        for label, value in (
            ("created", run.created_count),
            ("still open", run.still_open_count),
            ("reopened", run.reopened_count),
            ("resolved", run.resolved_count),
            ("unchanged closed", run.unchanged_closed_count),
            ("errors", run.error_count),
        ):
            out.write(f"  {label}: {value}")
        if run.metrics:
            metrics = ", ".join(f"{k}={v}" for k, v in run.metrics.items() if k != "extra")
            out.write(f"  metrics: {metrics}")
        if dry_run:
            for kind in ("created", "reopened", "resolved"):
                rows = run.preview[kind]
                if rows:
                    out.write(f"  first {kind}:")
                    for row in rows[:10]:
                        where = f"{row['file_path']}:{row['line']}" if row["line"] else row["file_path"]
                        out.write(f"    [{row['severity']}] {row['title']} ({where})")
        if not dry_run:
            out.write(self.style.SUCCESS("Done."))
