"""Print (or write) an audit as a Markdown report that the importer reads back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.models import Audit
from reports.export import audit_to_markdown


class Command(BaseCommand):
    help = "Export an audit as a Markdown report (title, verdicts, metrics, scores, findings, checklists)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("audit_id", type=int, metavar="AUDIT_ID")
        parser.add_argument("--format", choices=["md"], default="md", help="Output format (Markdown only).")
        parser.add_argument(
            "--output", "-o", metavar="FILE", help="Write to this file instead of standard output."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        audit = Audit.objects.filter(pk=options["audit_id"]).first()
        if audit is None:
            raise CommandError(f"No audit with id {options['audit_id']}.")
        markdown = audit_to_markdown(audit)
        if options["output"]:
            Path(options["output"]).write_text(markdown, encoding="utf-8")
            self.stderr.write(f"Wrote audit #{audit.pk} to {options['output']}.")
        else:
            self.stdout.write(markdown, ending="")
