"""Reads of the scoring app that other apps and the formula use."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from projects.models import Audit
from scoring.evidence import AnalyzerRun, LanguageLines, RepositoryProfile
from scoring.models import AuditAnalyzerRun, AuditProfile


@dataclass(frozen=True)
class Measurements:
    """What the re-scan of one audit measured; profile None when none was recorded."""

    profile: RepositoryProfile | None
    runs: tuple[AnalyzerRun, ...]


def _profile_from_row(row: AuditProfile) -> RepositoryProfile:
    return RepositoryProfile(
        languages=tuple(
            LanguageLines(
                language=str(lang["language"]),
                production=int(lang.get("production", 0)),
                test=int(lang.get("test", 0)),
                fixture=int(lang.get("fixture", 0)),
                docs=int(lang.get("docs", 0)),
                vendored=int(lang.get("vendored", 0)),
            )
            for lang in row.languages or []
        ),
        manifests=tuple(row.manifests or ()),
        ecosystems=tuple(row.ecosystems or ()),
        ci_files=tuple(row.ci_files or ()),
        container_files=tuple(row.container_files or ()),
        practices={str(k): bool(v) for k, v in (row.practices or {}).items()},
    )


def _run_from_row(row: AuditAnalyzerRun) -> AnalyzerRun:
    return AnalyzerRun(
        name=row.name,
        domains=tuple(row.domains or ()),
        languages=tuple(row.languages or ()),
        status=row.status,
        covered_lines=row.covered_lines,
        findings=row.findings,
        suppressed=row.suppressed,
        seconds=row.seconds,
        error=row.error,
    )


def audit_measurements(*, audit_id: int) -> Measurements:
    """The repository profile and analyzer runs recorded for an audit, as the evidence dataclasses."""
    row = AuditProfile.objects.filter(audit_id=audit_id).first()
    runs = tuple(
        _run_from_row(r) for r in AuditAnalyzerRun.objects.filter(audit_id=audit_id).order_by("name")
    )
    return Measurements(profile=_profile_from_row(row) if row is not None else None, runs=runs)


def audit_checklist_q(audit: Audit, prefix: str = "") -> Q:
    """Checklists that count for an audit: those attached to it, and the project's unattached ones."""
    return Q(**{f"{prefix}project_id": audit.project_id}) & (
        Q(**{f"{prefix}audit_id": audit.pk}) | Q(**{f"{prefix}audit__isnull": True})
    )
