"""Print the portfolio under a formula version beside the scores stored today, writing nothing."""

from __future__ import annotations

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.models import Project
from scoring import services as scoring
from scoring.preview import formula_preview


def _fmt(value: Decimal | None) -> str:
    return "n/m" if value is None else str(value)


def _delta(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:+}" if value else "0.0"


class Command(BaseCommand):
    help = (
        "Preview the latest completed audit of each project under a formula version: old score, "
        "new score and change per project and domain. Nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", metavar="SLUG", help="Only these projects.")
        parser.add_argument(
            "--formula",
            default=scoring.FORMULA_VERSION,
            metavar="VERSION",
            help=f"Formula version to preview ({', '.join(scoring.FORMULA_VERSIONS)}; default: current).",
        )
        parser.add_argument(
            "--changed-only", action="store_true", help="Only the domains whose score changes."
        )

    def handle(
        self, *args: object, slugs: list[str], formula: str, changed_only: bool, **options: object
    ) -> None:
        if formula not in scoring.FORMULA_VERSIONS:
            raise CommandError(
                f"Unknown formula version {formula!r}; known versions: {', '.join(scoring.FORMULA_VERSIONS)}."
            )
        if slugs:
            missing = sorted(
                set(slugs) - set(Project.objects.filter(slug__in=slugs).values_list("slug", flat=True))
            )
            if missing:
                raise CommandError(f"Unknown project slug(s): {', '.join(missing)}.")
        previews = formula_preview(formula_version=formula, project_slugs=slugs or None)
        self.stdout.write(f"The portfolio under formula {formula} vs the stored scores (nothing is written).")
        header = f"{'project / domain':<28} {'old':>8} {'new':>8} {'delta':>7}  stored as"
        changed = 0
        for preview in previews:
            self.stdout.write("")
            self.stdout.write(f"{preview.name} ({preview.slug}) - {preview.audit_title}")
            self.stdout.write(header)
            self.stdout.write(
                f"{'  global':<28} {_fmt(preview.old_global):>8} "
                f"{_fmt(preview.new_global):>8} {_delta(preview.delta):>7}"
            )
            for row in preview.domains:
                moved = row.old != row.new
                changed += moved
                if changed_only and not moved:
                    continue
                stored = row.source and (f"{row.source} {row.old_version}".strip())
                self.stdout.write(
                    f"{'  ' + row.name:<28} {_fmt(row.old):>8} {_fmt(row.new):>8} "
                    f"{_delta(row.delta):>7}  {stored or 'not measured'}"
                )
        self.stdout.write("")
        self.stdout.write(
            f"{len(previews)} project(s), {changed} domain score(s) would change. "
            f"Apply with `manage.py recompute_scores --apply-formula {formula}`."
        )
