"""Import hand-written Markdown audit reports as audits of kind "imported report"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.models import Project
from reports.errors import ReportError
from reports.services import ReportImportResult, report_import


class Command(BaseCommand):
    help = (
        "Import Markdown audit reports (encoding repaired) as self-attested audits, with their "
        "scores, metrics, checklists and findings. Re-importing a report changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--project", metavar="SLUG", help="Import into this project.")
        target.add_argument(
            "--create-project",
            action="store_true",
            help="Create the project the report names when it does not exist.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be imported; write nothing."
        )
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        project = None
        if options["project"]:
            project = Project.objects.filter(slug=options["project"]).first()
            if project is None:
                raise CommandError(f"No project with the slug '{options['project']}'.")
        failures = 0
        for name in options["files"]:
            path = Path(name)
            try:
                content = path.read_bytes()
            except OSError as exc:
                self.stderr.write(f"{name}: cannot read the file ({exc.strerror}).")
                failures += 1
                continue
            try:
                result = report_import(
                    content=content,
                    file_name=path.name,
                    project=project,
                    create_project=options["create_project"],
                    dry_run=options["dry_run"],
                )
            except ReportError as exc:
                self.stderr.write(f"{name}: {exc}")
                failures += 1
                continue
            self._describe(name, result)
        if failures:
            raise CommandError(f"{failures} of {len(options['files'])} file(s) were not imported.")

    def _describe(self, name: str, result: ReportImportResult) -> None:
        parsed = result.parsed
        out = self.stdout.write
        prefix = "[dry run] " if result.dry_run else ""
        if result.duplicate_of is not None:
            out(
                f"{prefix}{name}: already imported as audit #{result.duplicate_of.pk} "
                f"({result.project.name}); nothing changed."
            )
            return
        assert result.audit is not None  # report_import sets it on every import that returns
        created = " (new project)" if result.project_created else ""
        head = (
            f"would import into {result.project.name}{created}"
            if result.dry_run
            else f"imported as audit #{result.audit.pk} of {result.project.name}{created}"
        )
        out(self.style.SUCCESS(f"{prefix}{name}: {head}"))
        out(f"  title: {parsed.title}")
        if parsed.project_rule:
            out(f"  project: {parsed.project_name} (from {parsed.project_rule})")
        out(
            f"  date: {parsed.audit_date or 'empty'}   version: {parsed.version or '-'}   "
            f"stated verdict: {parsed.verdict}"
        )
        if parsed.metrics or parsed.extra_metrics:
            metrics = ", ".join(f"{k}={v}" for k, v in {**parsed.metrics, **parsed.extra_metrics}.items())
            out(f"  metrics: {metrics}")
        if parsed.scores:
            scores = ", ".join(
                f"{s.domain_name} {s.score if s.score is not None else '-'}" for s in parsed.scores.values()
            )
            out(f"  scores: {scores}")
        if parsed.unmapped_scores:
            kept = ", ".join(
                f"{s.label} {s.score if s.score is not None else s.raw}" for s in parsed.unmapped_scores
            )
            out(f"  stated scores matching no domain (kept on the audit): {kept}")
        if parsed.stated_global is not None:
            out(f"  stated global: {parsed.stated_global}")
        out(
            f"  checklists: {len(parsed.checklists)} ({parsed.checklist_item_count} items)   "
            f"findings: {len(parsed.findings)}"
        )
        for note in parsed.notes:
            out(f"  repaired: {note}")
        for warning in parsed.warnings:
            out(self.style.WARNING(f"  warning: {warning}"))
