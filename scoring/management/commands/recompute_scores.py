"""Recompute the scores of every project's latest completed audit (after a formula change)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from projects.models import Project
from scoring import services as scoring


class Command(BaseCommand):
    help = (
        "Recompute computed domain scores, global score and readiness gate of the latest "
        "completed audit of each project (or of the given ones), and their portfolio rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", metavar="SLUG", help="Only these projects.")

    def handle(self, *args, slugs: list[str], **options):
        projects = Project.objects.order_by("pk")
        if slugs:
            found = set(projects.filter(slug__in=slugs).values_list("slug", flat=True))
            missing = sorted(set(slugs) - found)
            if missing:
                raise CommandError(f"Unknown project slug(s): {', '.join(missing)}. Nothing was recomputed.")
            projects = projects.filter(slug__in=slugs)
        started = time.monotonic()
        count = 0
        for project_id in projects.values_list("pk", flat=True).iterator():
            scoring.project_recompute(project_id=project_id)
            count += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"Recomputed {count} project(s) with formula {scoring.FORMULA_VERSION} in "
                f"{time.monotonic() - started:.1f} s."
            )
        )
