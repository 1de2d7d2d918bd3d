"""Recompute the scores of every project's latest completed audit.

Without --apply-formula, an audit whose computed scores were stored under another formula version
keeps them (past scores never change silently); `scores_preview --formula X` shows what a version
would change, and `recompute_scores --apply-formula X` applies it.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.models import Project
from scoring import services as scoring


class Command(BaseCommand):
    help = (
        "Recompute computed domain scores, global score and readiness gate of the latest "
        "completed audit of each project (or of the given ones), and their portfolio rows. "
        "Audits scored under another formula version are kept unless --apply-formula is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", metavar="SLUG", help="Only these projects.")
        parser.add_argument(
            "--apply-formula",
            metavar="VERSION",
            help=(
                "Re-score the latest audits under this formula version, even those scored under "
                f"another one ({', '.join(scoring.FORMULA_VERSIONS)}). Preview first with scores_preview."
            ),
        )

    def handle(self, *args: object, slugs: list[str], apply_formula: str | None, **options: object) -> None:
        if apply_formula is not None and apply_formula not in scoring.FORMULA_VERSIONS:
            raise CommandError(
                f"Unknown formula version {apply_formula!r}; known versions: "
                f"{', '.join(scoring.FORMULA_VERSIONS)}. Nothing was recomputed."
            )
        projects = Project.objects.order_by("pk")
        if slugs:
            found = set(projects.filter(slug__in=slugs).values_list("slug", flat=True))
            missing = sorted(set(slugs) - found)
            if missing:
                raise CommandError(f"Unknown project slug(s): {', '.join(missing)}. Nothing was recomputed.")
            projects = projects.filter(slug__in=slugs)
        started = time.monotonic()
        version = apply_formula or scoring.FORMULA_VERSION
        outcomes: dict[str, list[str]] = {"recomputed": [], "frozen": [], "no audit": []}
        for project_id, slug in projects.values_list("pk", "slug").iterator():
            outcome = scoring.project_recompute(
                project_id=project_id, formula_version=version, keep_frozen=apply_formula is None
            )
            outcomes[outcome].append(slug)
        self.stdout.write(
            self.style.SUCCESS(
                f"Recomputed {len(outcomes['recomputed'])} project(s) with formula {version} in "
                f"{time.monotonic() - started:.1f} s."
            )
        )
        if outcomes["frozen"]:
            self.stdout.write(
                f"Kept {len(outcomes['frozen'])} project(s) scored under another formula version: "
                f"{', '.join(outcomes['frozen'])}. Preview with "
                f"`manage.py scores_preview --formula {version}`, "
                f"apply with `manage.py recompute_scores --apply-formula {version}`."
            )
