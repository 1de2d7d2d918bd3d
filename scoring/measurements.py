"""What a re-scan measured, stored on its audit: the repository profile and the analyzer runs.

The re-scan (rescans) hands them over as typed records (scoring.evidence); they are checked,
then stored replacing what an earlier call stored, and read back by scoring.selectors.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from projects.models import Audit
from scoring import selectors
from scoring.evidence import CODE_KINDS, AnalyzerRun, RepositoryProfile
from scoring.models import AuditAnalyzerRun, AuditProfile


class MeasurementError(ValueError):
    """Measurements that cannot be recorded (the message names the problem; nothing is saved)."""


_RUN_STATUSES = frozenset(s.value for s in AuditAnalyzerRun.Status)


def _check_measurements(profile: RepositoryProfile, runs: list[AnalyzerRun]) -> None:
    seen_languages: set[str] = set()
    for lang in profile.languages:
        if not lang.language:
            raise MeasurementError("A language of the repository profile has no name.")
        if lang.language in seen_languages:
            raise MeasurementError(f"Language {lang.language!r} appears twice in the repository profile.")
        seen_languages.add(lang.language)
        for kind in CODE_KINDS:
            value = getattr(lang, kind)
            if not isinstance(value, int) or value < 0:
                raise MeasurementError(
                    f"{kind.capitalize()} lines of {lang.language!r} must be a whole number >= 0,"
                    f" not {value!r}."
                )
    for key, value in profile.practices.items():
        if not isinstance(value, bool):
            raise MeasurementError(f"Practice {key!r} must be true or false, not {value!r}.")
    names: set[str] = set()
    for run in runs:
        if not run.name or len(run.name) > 50:
            raise MeasurementError(f"Analyzer name {run.name!r} must have 1 to 50 characters.")
        if run.name in names:
            raise MeasurementError(f"Analyzer {run.name!r} appears twice in the runs of one re-scan.")
        names.add(run.name)
        if run.status not in _RUN_STATUSES:
            raise MeasurementError(
                f"Analyzer {run.name!r} has status {run.status!r}; expected one of {sorted(_RUN_STATUSES)}."
            )
        for label in ("covered_lines", "findings", "suppressed"):
            value = getattr(run, label)
            if not isinstance(value, int) or value < 0:
                raise MeasurementError(
                    f"{label} of analyzer {run.name!r} must be a whole number >= 0, not {value!r}."
                )
        if not run.seconds >= 0:
            raise MeasurementError(f"seconds of analyzer {run.name!r} must be >= 0, not {run.seconds!r}.")


@transaction.atomic
def audit_record_measurements(*, audit_id: int, profile: RepositoryProfile, runs: list[AnalyzerRun]) -> None:
    """Store what the re-scan of an audit measured, replacing what an earlier call stored for it.

    Raises MeasurementError (database unchanged) on inconsistent input. Does not recompute the
    audit's scores: the caller (the re-scan) recomputes once it has also imported the findings.
    """
    _check_measurements(profile, runs)
    if not Audit.objects.select_for_update().filter(pk=audit_id).exists():
        raise MeasurementError(f"Audit {audit_id} does not exist.")
    AuditProfile.objects.update_or_create(
        audit_id=audit_id,
        defaults={
            "production_lines": profile.production_lines,
            "test_lines": profile.test_lines,
            "languages": [
                {"language": lang.language, **{kind: getattr(lang, kind) for kind in CODE_KINDS}}
                for lang in profile.languages
            ],
            "manifests": list(profile.manifests),
            "ecosystems": list(profile.ecosystems),
            "ci_files": list(profile.ci_files),
            "container_files": list(profile.container_files),
            "practices": dict(profile.practices),
            "recorded_at": timezone.now(),
        },
    )
    AuditAnalyzerRun.objects.filter(audit_id=audit_id).delete()
    AuditAnalyzerRun.objects.bulk_create(
        AuditAnalyzerRun(
            audit_id=audit_id,
            name=run.name,
            domains=list(run.domains),
            languages=list(run.languages),
            status=run.status,
            covered_lines=run.covered_lines,
            findings=run.findings,
            suppressed=run.suppressed,
            seconds=run.seconds,
            error=run.error,
        )
        for run in runs
    )


@transaction.atomic
def audit_copy_measurements(*, source_audit_id: int, audit_id: int) -> bool:
    """Give an audit the measurements of another (a re-scan that found the same commit measured
    nothing new). Returns False, changing nothing, when the source recorded none."""
    measured = selectors.audit_measurements(audit_id=source_audit_id)
    if measured.profile is None:
        return False
    audit_record_measurements(audit_id=audit_id, profile=measured.profile, runs=list(measured.runs))
    return True
