"""Importing a Markdown audit report: one transaction, an Audit of kind "imported report".

`report_import` is the one entry point (command, admin upload form). Bad input raises
`ReportError` with a message naming the problem, and the database is left exactly as it was.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from checklists.services import StatedItem, checklist_create_stated
from findings.services.stated import StatedFinding, stated_findings_import
from projects.models import Audit, DomainScore, MaturityDomain, Project
from projects.uploads import REPORT_LIMIT, upload_size_error
from reports.encoding import decode_report
from reports.errors import ReportError
from reports.markdown import norm
from reports.models import ReportSource, StatedScore
from reports.parser import ParsedReport, parse_report
from scoring import services as scoring

# Who imports: the admin request's user, or None from the command line.
Importer = AbstractBaseUser | AnonymousUser | None

FINDING_TOOL = "report"


@dataclass
class ReportImportResult:
    file_name: str
    sha256: str
    parsed: ParsedReport
    project: Project
    project_created: bool = False
    audit: Audit | None = None
    duplicate_of: Audit | None = None
    dry_run: bool = False
    findings_created: int = 0
    findings_updated: int = 0
    messages: list[str] = field(default_factory=list)

    @property
    def created(self) -> bool:
        return self.audit is not None and self.duplicate_of is None and not self.dry_run


def finding_fingerprint(*, title: str, file_path: str) -> str:
    """Identity of a finding stated in a report: its title (normalised) and file."""
    return hashlib.sha256(f"report|{norm(title, numbering=False)}|{file_path}".encode()).hexdigest()


def report_read(*, content: bytes, file_name: str = "") -> tuple[str, ParsedReport, str]:
    """(repaired text, parsed report, content hash). Raises ReportError on a non-report."""
    if not content or not content.strip():
        raise ReportError("The file is empty.")
    if too_big := upload_size_error(len(content), limit_setting=REPORT_LIMIT):
        raise ReportError(too_big)
    text, notes = decode_report(content)
    parsed = parse_report(text, domains=MaturityDomain.objects.all(), file_name=file_name)
    parsed.notes = notes + parsed.notes
    for checklist in parsed.checklists:
        if len(checklist.items) > settings.CHECKLIST_MAX_ITEMS:
            raise ReportError(
                f"The checklist “{checklist.title[:80]}” has {len(checklist.items):,} items, over the "
                f"limit of {settings.CHECKLIST_MAX_ITEMS:,} items per checklist (CHECKLIST_MAX_ITEMS)."
            )
    # Hash of the repaired text: the same report garbled or clean is the same report.
    sha = hashlib.sha256(text.strip().encode("utf-8")).hexdigest()
    return text, parsed, sha


def _find_project(name: str) -> Project | None:
    if not name:
        return None
    candidates = [name, name.split(" - ")[0].split(" — ")[0].strip()]
    for candidate in candidates:
        project = (
            Project.objects.filter(name__iexact=candidate).first()
            or Project.objects.filter(slug=slugify(candidate)[:100]).first()
        )
        if project is not None:
            return project
    return None


def _resolve_project(
    parsed: ParsedReport, *, project: Project | None, create_project: bool, dry_run: bool
) -> tuple[Project, bool]:
    if project is not None:
        if parsed.project_name and _find_project(parsed.project_name) not in (None, project):
            parsed.warn(
                f"The report names the project '{parsed.project_name}'; it was imported "
                f"into '{project.name}' as asked."
            )
        return project, False
    if not parsed.project_name:
        if not create_project:
            raise ReportError(
                "The report does not name its project (no 'Project:' line, no project in the "
                "title, no repository or folder); choose the project to import it into."
            )
        # Creating a project never fails for want of a name.
        parsed.project_name = f"Imported report {parsed.audit_date or timezone.localdate()}"
        parsed.project_rule = "no name found: the import date"
    existing = _find_project(parsed.project_name)
    if existing is not None:
        return existing, False
    if not create_project:
        raise ReportError(
            f"The report is about the project '{parsed.project_name}', which does "
            "not exist; choose a project or allow creating it."
        )
    name, _sep, tagline = parsed.project_name.partition(" - ")
    name = name.strip()[:200] or parsed.project_name[:200]
    slug = slugify(name)[:100] or "imported-project"
    new = Project(name=name, slug=slug, description=tagline.strip())
    if not dry_run:
        base, n = slug, 2
        while Project.objects.filter(slug=new.slug).exists():
            new.slug = f"{base[:95]}-{n}"
            n += 1
        new.save()
    return new, True


def _audit_from(parsed: ParsedReport, *, project: Project, sha: str, file_name: str, user: Importer) -> Audit:
    metrics = dict(parsed.metrics)
    extra = dict(parsed.extra_metrics)
    if parsed.already_in_production:
        extra["already_in_production"] = True
    return Audit(
        project=project,
        kind=Audit.Kind.IMPORTED,
        title=parsed.title[:300] or file_name[:300],
        version_label=parsed.version[:100],
        audit_date=parsed.audit_date,
        status=Audit.Status.COMPLETED,
        stated_verdict=parsed.verdict,
        is_self_attested=True,
        summary=parsed.summary,
        stated_global_score=parsed.stated_global,
        source_sha256=sha,
        warnings=list(parsed.warnings),
        extra_metrics=extra,
        **metrics,
    )


def _source_of(parsed: ParsedReport, *, audit: Audit, file_name: str, user: Importer) -> ReportSource:
    mean = parsed.weighted_mean
    return ReportSource(
        audit=audit,
        file_name=file_name[:255],
        imported_by=getattr(user, "username", "") or "",
        verdict_as_written=parsed.verdict_text[:300],
        repairs=list(parsed.notes),
        weighted_mean_of_stated_scores=mean.quantize(Decimal("0.01")) if mean is not None else None,
        inconsistency=parsed.inconsistency or {},
    )


def _save_checklists(parsed: ParsedReport, audit: Audit) -> None:
    for parsed_checklist in parsed.checklists:
        checklist_create_stated(
            project=audit.project,
            audit=audit,
            title=parsed_checklist.title,
            items=[
                StatedItem(text=i.text, state=i.state, section=i.section, note=i.note)
                for i in parsed_checklist.items
            ],
        )


def _save_findings(parsed: ParsedReport, audit: Audit, result: ReportImportResult, user: Importer) -> None:
    stated = [
        StatedFinding(
            title=f.title,
            severity=f.severity,
            fingerprint=finding_fingerprint(title=f.title, file_path=f.file_path),
            status=f.status,
            file_path=f.file_path,
            line=f.line,
            description=f.description,
        )
        for f in parsed.findings
    ]
    # Findings stated as accepted risk or false positive are recorded open, each with a pending
    # exception that someone else must approve (see findings.services.stated).
    result.findings_created, result.findings_updated = stated_findings_import(
        audit=audit,
        findings=stated,
        tool=FINDING_TOOL,
        source=f"the report {result.file_name or 'imported'} (audit #{audit.pk})",
        user_id=getattr(user, "pk", None),
    )


def _save_stated_scores(parsed: ParsedReport, audit: Audit) -> None:
    StatedScore.objects.bulk_create(
        StatedScore(
            audit=audit,
            order=order,
            label=s.label[:200],
            label_key=norm(s.label)[:200],
            score=s.score,
            before=s.before,
            scale=s.scale[:20],
            raw=s.raw[:100],
            domain_id=s.domain_id,
        )
        for order, s in enumerate(parsed.stated_scores, start=1)
    )


def report_import(
    *,
    content: bytes,
    file_name: str = "",
    project: Project | None = None,
    create_project: bool = False,
    user: Importer = None,
    dry_run: bool = False,
) -> ReportImportResult:
    """Import one Markdown report as an audit of kind "imported report" (self-attested).

    The project is `project`, or the one the report names (created when `create_project`).
    Re-importing the same report into the same project returns the existing audit
    (`duplicate_of`) and changes nothing. On `dry_run` nothing is written: the result's `audit`
    is an unsaved preview.
    """
    _text, parsed, sha = report_read(content=content, file_name=file_name)
    with transaction.atomic():
        target, project_created = _resolve_project(
            parsed, project=project, create_project=create_project, dry_run=dry_run
        )
        result = ReportImportResult(
            file_name=file_name,
            sha256=sha,
            parsed=parsed,
            project=target,
            project_created=project_created,
            dry_run=dry_run,
        )
        if project_created:
            verb = "Would create" if dry_run else "Created"
            result.messages.append(f"{verb} the project '{target.name}' (name from {parsed.project_rule}).")
        if target.pk is not None:
            duplicate = Audit.objects.filter(project=target, source_sha256=sha).first()
            if duplicate is not None:
                result.duplicate_of = result.audit = duplicate
                result.messages.append(
                    f"Already imported as audit #{duplicate.pk} of {target.name}; nothing changed."
                )
                return result
        audit = _audit_from(parsed, project=target, sha=sha, file_name=file_name, user=user)
        result.audit = audit
        if dry_run:
            return result
        try:
            with transaction.atomic():
                audit.save()
                _source_of(parsed, audit=audit, file_name=file_name, user=user).save()
        except IntegrityError as exc:
            raise ReportError(
                "This report was imported into the project at the same moment by "
                "someone else; nothing changed."
            ) from exc
        DomainScore.objects.bulk_create(
            [
                DomainScore(
                    audit=audit,
                    domain_id=s.domain_id,
                    score=s.score,
                    source=DomainScore.Source.IMPORTED,
                    rationale=f"Stated in the report as '{s.label}: {s.stated}'.",
                )
                for s in parsed.scores.values()
            ]
        )
        _save_stated_scores(parsed, audit)
        _save_checklists(parsed, audit)
        _save_findings(parsed, audit, result, user)

        scoring.audit_refresh_global(audit_id=audit.pk)
        audit.refresh_from_db(fields=["global_score", "computed_verdict"])
        scoring.schedule_recompute(project_id=target.pk)
        result.messages.append(f"Imported as audit #{audit.pk} of {target.name}.")

    return result


def stated_score_map(*, stated_score: StatedScore, domain: MaturityDomain, user: Importer = None) -> int:
    """Map a stated score's label to a maturity domain: the label becomes one of the domain's
    aliases (so future imports map it), and every stated score with that label and no domain
    yet gets the domain, giving its audit a DomainScore when the audit has none for it.
    Returns the number of stated scores mapped. Raises ReportError when another domain already
    uses the label."""
    key = stated_score.label_key or norm(stated_score.label)
    with transaction.atomic():
        for other in MaturityDomain.objects.exclude(pk=domain.pk):
            if any(norm(str(alias)) == key for alias in [other.name, *(other.aliases or [])]):
                raise ReportError(
                    f"The label '{stated_score.label}' already names the domain '{other.name}'; "
                    "remove it from that domain's aliases first."
                )
        domain = MaturityDomain.objects.select_for_update().get(pk=domain.pk)
        if not any(norm(str(alias)) == key for alias in [domain.name, *(domain.aliases or [])]):
            domain.aliases = [*(domain.aliases or []), stated_score.label]
            domain.save(update_fields=["aliases"])
        to_map = list(StatedScore.objects.filter(label_key=key, domain__isnull=True).select_related("audit"))
        who = getattr(user, "username", "") or "an admin"
        scored = set(
            DomainScore.objects.filter(audit_id__in=[s.audit_id for s in to_map], domain=domain).values_list(
                "audit_id", flat=True
            )
        )
        new_scores = []
        for s in to_map:
            s.domain = domain
            if s.score is not None and s.audit_id not in scored:
                scored.add(s.audit_id)
                new_scores.append(
                    DomainScore(
                        audit_id=s.audit_id,
                        domain=domain,
                        score=s.score,
                        source=DomainScore.Source.IMPORTED,
                        rationale=(
                            f"Stated in the report as '{s.label}: {s.raw}'; mapped to {domain.name} by {who}."
                        ),
                    )
                )
        StatedScore.objects.bulk_update(to_map, ["domain"])
        DomainScore.objects.bulk_create(new_scores)
        for audit_id in {s.audit_id for s in new_scores}:
            scoring.audit_refresh_global(audit_id=audit_id)
        for project_id in {s.audit.project_id for s in to_map}:
            scoring.schedule_recompute(project_id=project_id)
    return len(to_map)
