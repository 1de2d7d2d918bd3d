"""The re-scan: one automated audit of a project's repository, from checkout to alert.

Life of a run (an Audit of kind "automated"):
  queued   status in_progress, started_at NULL (created by `project_rescan_request`)
  running  status in_progress, started_at set (claimed by `audit_rescan_run`, conditional UPDATE)
  done     status completed (scanned, or "no change"), or failed (error, or abandoned by a
           killed worker and swept by `dispatcher.sweep_abandoned`).
A project has at most one queued or running scan: requests lock the project row and check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import DatabaseError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from findings.importers.base import ScanFormatError
from findings.models import Finding, Severity
from findings.services.scans import scan_import
from projects.models import AUDIT_METRIC_FIELDS, Audit, MaturityDomain, Project
from rescans import workspace
from rescans.inventory import Inventory, build_inventory
from rescans.models import ERROR_MAX_CHARS, RescanRun
from rescans.sanitize import clean_text
from rescans.sarif import foreign_domains, to_sarif
from rescans.scanners import RunLimits, Scanner, ScannerError, ScannerOutput, enabled_scanners
from rescans.scanners.coverage import analyzer_run
from scoring import measurements
from scoring import services as scoring

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

logger = logging.getLogger(__name__)

# Bump when scanners or their options change: a scan of the same commit is then not "no change".
# 2: analyzers ignore the repository's configuration; links removed. 3: inventory, semgrep,
# lizard, osv and secrets analyzers.
SCANNERS_VERSION = "3"
REGRESSION_SCORE_DROP = Decimal("1.0")
CHANGE_LIST_LIMIT = 50


def max_scan_seconds() -> int:
    return int(settings.SCAN_MAX_SECONDS)


def run_limits() -> RunLimits:
    return RunLimits(
        timeout_s=float(settings.SCAN_SCANNER_TIMEOUT_SECONDS),
        max_output_bytes=int(settings.SCAN_MAX_OUTPUT_BYTES),
    )


def _stored(text: str) -> str:
    """Text a scanner or a repository produced, made storable and short: PostgreSQL refuses NUL
    in text and JSON, so a failure message built from it can always be saved."""
    return clean_text(text, limit=ERROR_MAX_CHARS)


# --- Reads --------------------------------------------------------------------------------------


def running_scan(*, project_id: int) -> Audit | None:
    """The project's queued or running automated audit, if any."""
    return (
        Audit.objects.filter(
            project_id=project_id, kind=Audit.Kind.AUTOMATED, status=Audit.Status.IN_PROGRESS
        )
        .select_related("rescan_run")
        .order_by("-id")
        .first()
    )


def previous_automated_audit(*, project_id: int, before_id: int | None = None) -> Audit | None:
    qs = Audit.objects.filter(
        project_id=project_id, kind=Audit.Kind.AUTOMATED, status=Audit.Status.COMPLETED
    ).select_related("rescan_run")
    if before_id is not None:
        qs = qs.filter(pk__lt=before_id)
    return qs.order_by("-id").first()


def scan_config_hash(project: Project) -> str:
    config = {
        "repository": project.repository_url,
        "branch": project.branch or "main",
        "scanners": sorted(project.enabled_scanners or []),
        "version": SCANNERS_VERSION,
        "artifacts": list(settings.SCAN_ARTIFACT_PATHS),
    }
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


# --- Requests -----------------------------------------------------------------------------------


def project_rescan_request(
    *,
    project_id: int,
    force: bool = False,
    reason: str = "manual",
    user: AbstractBaseUser | AnonymousUser | None = None,
    enqueue: bool = True,
) -> Audit | None:
    """Queue a re-scan of the project: creates the automated audit (queued) and, after commit,
    sends the Celery task its id. Returns None, doing nothing, when a scan is already queued or
    running for the project."""
    with transaction.atomic():
        # The project row lock serialises concurrent requests for the same project.
        project = Project.objects.select_for_update().get(pk=project_id)
        if running_scan(project_id=project.pk) is not None:
            return None
        audit, run = queued_run(
            project_id=project.pk,
            now=timezone.now(),
            reason=reason,
            force=force,
            requested_by=getattr(user, "username", "") or "",
        )
        audit.project = project  # already read: the audit trail's entry names it
        audit.save(force_insert=True)
        run.audit = audit
        run.save(force_insert=True)
        if enqueue:
            audit_id = audit.pk
            transaction.on_commit(lambda: _enqueue(audit_id))
    return audit


def queued_run(
    *, project_id: int, now: dt.datetime, reason: str, force: bool = False, requested_by: str = ""
) -> tuple[Audit, RescanRun]:
    """A queued re-scan, unsaved: its automated audit and its run (save the audit first). Shared
    by the request above and the dispatcher, which creates a batch of them in two INSERTs."""
    audit = Audit(
        project_id=project_id,
        kind=Audit.Kind.AUTOMATED,
        status=Audit.Status.IN_PROGRESS,
        title=f"Automated re-scan {timezone.localtime(now):%Y-%m-%d %H:%M}",
        audit_date=timezone.localdate(now),
        auditor=None,
    )
    run = RescanRun(
        state=RescanRun.State.QUEUED,
        reason=reason,
        force=bool(force),
        requested_at=now,
        requested_by=requested_by,
    )
    return audit, run


QUEUE_UNAVAILABLE = "the task queue was unavailable; nothing ran"


def _enqueue(audit_id: int) -> None:
    """Send the task (after commit). If the broker is down, the queued audit is closed at once
    (so it neither shows as running nor blocks the next request) and the error is raised."""
    from kombu.exceptions import OperationalError

    from rescans.tasks import rescan

    try:
        rescan.delay(audit_id)
    except OperationalError:
        _finish_failed(audit_id, QUEUE_UNAVAILABLE)
        raise


# --- The run ------------------------------------------------------------------------------------


@dataclass
class ScanResult:
    outputs: list[ScannerOutput] = field(default_factory=list)
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    links_note: str = ""  # the symbolic links removed from the checkout before analysis
    inventory: Inventory | None = None  # what the repository holds (None: it could not be listed)


def audit_rescan_run(*, audit_id: int) -> Audit | None:
    """Run one queued re-scan to its end. Idempotent: a run already claimed, finished or swept
    is left alone (returns None)."""
    now = timezone.now()
    claimed = Audit.objects.filter(
        pk=audit_id,
        kind=Audit.Kind.AUTOMATED,
        status=Audit.Status.IN_PROGRESS,
        started_at__isnull=True,
    ).update(started_at=now)
    if not claimed:
        logger.info("re-scan %s: already claimed or finished; nothing to do", audit_id)
        return None
    try:
        audit = Audit.objects.select_related("project").get(pk=audit_id)
        project = audit.project
        config_hash = scan_config_hash(project)
        run, _created = RescanRun.objects.get_or_create(audit=audit)
        RescanRun.objects.filter(pk=audit_id).update(state=RescanRun.State.RUNNING, config_hash=config_hash)
    except Audit.DoesNotExist:
        logger.info("re-scan %s: the audit (or its project) was deleted before the scan", audit_id)
        return None
    started = time.monotonic()
    try:
        scanners = enabled_scanners(project.enabled_scanners)
        sha = workspace.remote_head(
            url=project.repository_url, branch=project.branch, credentials=project.repository_credentials
        )
        previous = previous_automated_audit(project_id=project.pk, before_id=audit.pk)
        if (
            not run.force
            and previous is not None
            and previous.commit_sha == sha
            and _config_hash_of(previous) == config_hash
        ):
            return _finish_no_change(audit, previous, sha)
        with workspace.checkout(
            url=project.repository_url, branch=project.branch, credentials=project.repository_credentials
        ) as co:
            result = run_scanners(scanners, co.path, co.home)
            result.links_note = co.links_note
            return _finish_scanned(
                audit, co.commit_sha, co.path, scanners, result, time.monotonic() - started
            )
    except (workspace.RepositoryError, ValueError) as exc:
        return _finish_failed(audit_id, workspace.redact(str(exc)))
    except Audit.DoesNotExist:
        logger.info("re-scan %s: the audit (or its project) was deleted during the scan", audit_id)
        return None
    except Exception as exc:
        # Only the exception's type is stored: its text may hold the very data that failed.
        _finish_failed(audit_id, f"internal error: {type(exc).__name__}")
        raise


def _config_hash_of(audit: Audit) -> str:
    return RescanRun.objects.filter(audit=audit).values_list("config_hash", flat=True).first() or ""


def run_scanners(scanners: list[Scanner], path: Path, home: str) -> ScanResult:
    """Run the scanners in parallel (they are subprocesses); a failure only fails its part."""
    limits = run_limits()
    result = ScanResult()
    workers = max(1, min(len(scanners), int(settings.SCAN_PARALLELISM)))
    # One walk of the checkout first: the analyzers read its file list instead of walking again.
    try:
        result.inventory = build_inventory(path, timeout_s=limits.timeout_s)
    except (OSError, TimeoutError):
        logger.exception("re-scan: the checkout could not be listed")
    for scanner in scanners:
        if hasattr(scanner, "prepare") and result.inventory is not None:
            scanner.prepare(result.inventory)

    def one(scanner: Scanner) -> tuple[Scanner, ScannerOutput | ScannerError, float]:
        t0 = time.monotonic()
        try:
            return scanner, scanner.run(path, limits, home), time.monotonic() - t0
        except ScannerError as exc:
            return scanner, exc, time.monotonic() - t0
        except Exception as exc:  # noqa: BLE001 - one scanner's bug never stops the others
            logger.exception("scanner %s crashed", scanner.name)
            return (
                scanner,
                ScannerError(f"{scanner.name}: crashed ({type(exc).__name__})"),
                time.monotonic() - t0,
            )

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for scanner, output, duration in pool.map(one, scanners):
            part: dict[str, Any] = {"domain": scanner.domain, "duration_s": round(duration, 2)}
            if not isinstance(output, ScannerError):
                part.update(status="ok", findings=len(output.findings), suppressed_by_team=output.suppressed)
                result.outputs.append(output)
            else:
                error = output
                part.update(
                    status="timeout" if error.timed_out else "failed",
                    error=_stored(str(error)),
                    stderr_tail=_stored(workspace.redact(error.stderr_tail)[-2000:]),
                )
            result.parts[scanner.name] = part
    return result


def _import_content(output: ScannerOutput, path: Path) -> list[tuple[str, str, bytes]]:
    """(file name, importer format, content) of the reports one scanner produced: the analyzer's
    own report when the importer reads its format, else its findings written as SARIF; the CI
    artifacts as the files they are."""
    reports = []
    if output.source:
        reports.append(
            (f"{output.scanner}.json", output.report.format if output.report else "", output.source)
        )
    elif output.report is not None:
        reports.append((f"{output.scanner}.sarif", "sarif", to_sarif(output.report)))
    for file_name, report in output.files:
        try:
            content = (path / file_name).read_bytes()
        except OSError:
            continue
        reports.append((file_name, report.format, content))
    return reports


def _finish_scanned(
    audit: Audit,
    sha: str,
    path: Path,
    scanners: list[Scanner],
    result: ScanResult,
    duration_s: float,
) -> Audit | None:
    by_name = {s.name: s for s in scanners}
    with transaction.atomic():
        audit = Audit.objects.select_for_update().select_related("project").get(pk=audit.pk)
        if audit.status != Audit.Status.IN_PROGRESS:
            logger.warning("re-scan %s was swept while running; its results are discarded", audit.pk)
            return None
        project = audit.project
        for output in result.outputs:
            scanner = by_name[output.scanner]
            try:
                for file_name, fmt, content in _import_content(output, path):
                    scan_import(
                        project=project,
                        content=content,
                        file_name=file_name,
                        format=fmt,
                        audit=audit,
                        internal=True,
                    )
            except ScanFormatError as exc:
                result.parts[scanner.name].update(status="failed", error=_stored(f"import: {exc}"))
                continue
            _set_domains(project, output)
        _store_metrics(audit, result)
        _record_measurements(audit, scanners, result)
        run = RescanRun.objects.select_for_update().get(pk=audit.pk)
        run.outcome = RescanRun.Outcome.SCANNED
        run.parts = result.parts
        run.missing = sorted(name for name, part in result.parts.items() if part["status"] != "ok")
        run.duration_s = round(duration_s, 2)
        audit.unmeasured_domains = _not_measured(result.parts)
        _complete(audit, run, sha=sha, summary=_summary_line(project, result))
    return audit


def _finish_no_change(audit: Audit, previous: Audit, sha: str) -> Audit | None:
    with transaction.atomic():
        audit = Audit.objects.select_for_update().get(pk=audit.pk)
        if audit.status != Audit.Status.IN_PROGRESS:
            return None
        for name in (*AUDIT_METRIC_FIELDS, "extra_metrics", "unmeasured_domains"):
            setattr(audit, name, getattr(previous, name))
        measurements.audit_copy_measurements(source_audit_id=previous.pk, audit_id=audit.pk)
        before = RescanRun.objects.filter(audit=previous).first()
        run = RescanRun.objects.select_for_update().get(pk=audit.pk)
        run.outcome = RescanRun.Outcome.NO_CHANGE
        run.same_as = previous
        run.parts = before.parts if before else {}
        run.missing = before.missing if before else []
        _complete(
            audit,
            run,
            sha=sha,
            summary=f"No change since audit #{previous.pk}: same commit {sha[:12]}, same configuration.",
        )
    return audit


def _complete(audit: Audit, run: RescanRun, *, sha: str, summary: str) -> None:
    """Mark a run completed, score it (the audit's unmeasured domains stay not measured: scoring
    reads them), store the change since the previous re-scan, and send the regression alert
    once the transaction commits."""
    audit.commit_sha = sha
    audit.status = Audit.Status.COMPLETED
    audit.finished_at = timezone.now()
    audit.summary = summary
    audit.save()
    scoring.audit_recompute(audit=audit)
    audit.refresh_from_db()
    run.state = RescanRun.State.COMPLETED
    run.change = compute_change(audit)
    run.save()
    audit_id = audit.pk
    transaction.on_commit(lambda: _after_commit(audit_id))


def _finish_failed(audit_id: int, message: str) -> Audit | None:
    """Close a run as failed and so release its project. Two plain UPDATEs of a few columns
    with a cleaned, capped message: nothing the run produced is written again, so this cannot
    fail on the data that made the run fail."""
    message = _stored(message)
    try:
        with transaction.atomic():
            updated = Audit.objects.filter(pk=audit_id, status=Audit.Status.IN_PROGRESS).update(
                status=Audit.Status.FAILED,
                finished_at=timezone.now(),
                summary=f"Re-scan failed: {message}"[:1000],
            )
            if updated:
                RescanRun.objects.filter(pk=audit_id).update(
                    state=RescanRun.State.FAILED, outcome=RescanRun.Outcome.FAILED, error=message
                )
    except DatabaseError:
        # The sweep closes the run after SCAN_MAX_SECONDS; the caller's exception is the story.
        logger.exception("re-scan %s: could not be marked failed", audit_id)
        return None
    logger.warning("re-scan %s failed: %s", audit_id, message)
    return Audit.objects.get(pk=audit_id) if updated else None


def _set_domains(project: Project, output: ScannerOutput) -> None:
    """Findings whose domain SARIF does not carry (the built-in checks) get the analyzer's."""
    if output.report is None or output.source:
        return
    wanted = foreign_domains(output.report)
    if not wanted:
        return
    domains = dict(MaturityDomain.objects.filter(slug__in=set(wanted.values())).values_list("slug", "pk"))
    for rule_id, slug in wanted.items():
        if slug in domains:
            Finding.objects.filter(project=project, tool=output.report.tool, rule_id=rule_id).exclude(
                domain_id=domains[slug]
            ).update(domain_id=domains[slug])


def _record_measurements(audit: Audit, scanners: list[Scanner], result: ScanResult) -> None:
    """Hand the repository profile and what each analyzer covered to the formula, and show the
    coverage with each part of the run."""
    if result.inventory is None:
        return
    outputs = {o.scanner: o for o in result.outputs}
    runs = [
        analyzer_run(s, result.parts[s.name], outputs.get(s.name), result.inventory)
        for s in scanners
        if s.name in result.parts
    ]
    for record in runs:
        result.parts[record.name].update(
            coverage=record.status, languages=list(record.languages), covered_lines=record.covered_lines
        )
    measurements.audit_record_measurements(audit_id=audit.pk, profile=result.inventory.profile, runs=runs)
    # What the pages show beyond the profile: file counts, README size, CI files running tests...
    audit.extra_metrics = {**(audit.extra_metrics or {}), "repository": result.inventory.details}


def _store_metrics(audit: Audit, result: ScanResult) -> None:
    outputs = {o.scanner: o for o in result.outputs}
    extra = dict(audit.extra_metrics or {})
    if "checks" in outputs:
        m = outputs["checks"].metrics
        audit.files_count = m["files_count"]
        audit.lines_of_code = m["lines_of_code"]
        extra.update(languages=m["languages"], todo_count=m["todo_count"], presence=m["presence"])
    if "ruff" in outputs:
        audit.warnings_count = len(outputs["ruff"].findings)
    if "detect-secrets" in outputs:
        extra["secrets_found"] = len(outputs["detect-secrets"].findings)
    if "secrets" in outputs:
        extra["secrets_found"] = outputs["secrets"].metrics.get("secrets_found", 0)
    security_parts = [n for n, p in result.parts.items() if p["domain"] == "security"]
    if security_parts and all(result.parts[n]["status"] == "ok" for n in security_parts):
        counts = dict(
            Finding.objects.filter(
                project=audit.project_id,
                domain__slug="security",
                status__in=Finding.ACTIVE_STATUSES,
            )
            .values_list("severity")
            .annotate(n=Count("id"))
            .values_list("severity", "n")
        )
        audit.security_critical = counts.get(Severity.CRITICAL, 0)
        audit.security_high = counts.get(Severity.HIGH, 0)
        audit.security_medium = counts.get(Severity.MEDIUM, 0)
        audit.security_low = counts.get(Severity.LOW, 0)
    audit.extra_metrics = extra


def _not_measured(parts: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Domains none of whose scanners succeeded: {domain slug: why}."""
    by_domain: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, part in parts.items():
        by_domain.setdefault(part["domain"], []).append((name, part))
    return {
        domain: "; ".join(f"{name} {part['status']}" for name, part in items)
        for domain, items in by_domain.items()
        if all(part["status"] != "ok" for _name, part in items)
    }


def _summary_line(project: Project, result: ScanResult) -> str:
    ok = [n for n, p in result.parts.items() if p["status"] == "ok"]
    failed = [n for n, p in result.parts.items() if p["status"] != "ok"]
    text = f"Automated re-scan of {project.repository_url and workspace.redact(project.repository_url)}"
    text += f": {', '.join(ok) or 'no scanner'} ran"
    if failed:
        text += f"; {', '.join(failed)} could not run (not measured)"
    text += "."
    suppressed = {o.scanner: o.suppressed for o in result.outputs if o.suppressed}
    if suppressed:
        counts = ", ".join(f"{name} {n}" for name, n in suppressed.items())
        text += f" Suppressed by the team in the code, not imported: {counts}."
    if result.links_note:
        text += f" {result.links_note}"
    return text


# --- Change since the previous automated audit -------------------------------------------------


def _finding_row(f: Finding) -> dict[str, Any]:
    return {
        "id": f.pk,
        "title": f.title[:200],
        "severity": Severity(f.severity).label.lower(),
        "tool": f.tool,
        "file_path": f.file_path,
        "line": f.line,
    }


def compute_change(audit: Audit) -> dict[str, Any]:
    previous = previous_automated_audit(project_id=audit.project_id, before_id=audit.pk)
    new_q = Q(first_seen_audit=audit)
    if audit.started_at:
        new_q |= Q(last_seen_audit=audit, reopened_at__gte=audit.started_at)
    new = list(
        Finding.objects.filter(new_q, project_id=audit.project_id)
        .only("title", "severity", "tool", "file_path", "line")
        .order_by("-severity", "id")
    )
    fixed = list(
        Finding.objects.filter(resolved_by_import__audit=audit)
        .only("title", "severity", "tool", "file_path", "line")
        .order_by("-severity", "id")
    )
    scores = dict(audit.domain_scores.values_list("domain__slug", "score"))
    prev_scores = dict(previous.domain_scores.values_list("domain__slug", "score")) if previous else {}
    domains = {}
    for slug in sorted(set(scores) | set(prev_scores)):
        now_s, before = scores.get(slug), prev_scores.get(slug)
        domains[slug] = {
            "before": str(before) if before is not None else None,
            "after": str(now_s) if now_s is not None else None,
            "delta": str(now_s - before) if now_s is not None and before is not None else None,
        }
    g_before = previous.global_score if previous else None
    g_delta = None
    if audit.global_score is not None and g_before is not None:
        g_delta = audit.global_score - g_before
    new_serious = [f for f in new if f.severity >= Severity.HIGH]
    return {
        "previous_audit": previous.pk if previous else None,
        "new_count": len(new),
        "fixed_count": len(fixed),
        "new": [_finding_row(f) for f in new[:CHANGE_LIST_LIMIT]],
        "fixed": [_finding_row(f) for f in fixed[:CHANGE_LIST_LIMIT]],
        "new_critical_or_high": len(new_serious),
        "domains": domains,
        "global": {
            "before": str(g_before) if g_before is not None else None,
            "after": str(audit.global_score) if audit.global_score is not None else None,
            "delta": str(g_delta) if g_delta is not None else None,
        },
        # The first automated audit is the baseline: nothing to regress from.
        "regression": previous is not None
        and (bool(new_serious) or (g_delta is not None and g_delta <= -REGRESSION_SCORE_DROP)),
    }


# --- Regression alert ---------------------------------------------------------------------------


def _after_commit(audit_id: int) -> None:
    try:
        audit_notify_regression(audit_id=audit_id)
    except Exception:  # the audit is committed; a mail problem is logged, never fatal
        logger.exception("re-scan %s: regression e-mail failed", audit_id)


def audit_notify_regression(*, audit_id: int) -> bool:
    """E-mail the tech lead and members when the audit shows a regression. At most once per
    audit: the audit is claimed with a conditional UPDATE of its run."""
    audit = Audit.objects.select_related("project__tech_lead").get(pk=audit_id)
    run = RescanRun.objects.filter(audit=audit).first()
    if run is None or not run.is_regression or run.regression_notified_at is not None:
        return False
    change = run.change
    claimed = RescanRun.objects.filter(pk=audit_id, regression_notified_at__isnull=True).update(
        regression_notified_at=timezone.now()
    )
    if not claimed:
        return False
    project = audit.project
    recipients = sorted(
        {
            u.email
            for u in [project.tech_lead, *project.members.all()]
            if u is not None and u.email and u.is_active
        }
    )
    if not recipients:
        return False
    reasons = []
    if change.get("new_critical_or_high"):
        reasons.append(f"{change['new_critical_or_high']} new critical or high finding(s)")
    delta = change.get("global", {}).get("delta")
    if delta is not None and Decimal(delta) <= -REGRESSION_SCORE_DROP:
        reasons.append(f"global score {change['global']['before']} → {change['global']['after']}")
    url = settings.SITE_URL + audit.get_absolute_url() if hasattr(audit, "get_absolute_url") else ""
    lines = [
        f"The automated re-scan of {project.name} (commit {audit.commit_sha[:12]}) found a regression:",
        *[f"- {r}" for r in reasons],
        "",
    ]
    serious = [f for f in change.get("new", []) if f["severity"] in ("critical", "high")]
    for f in serious[:20]:
        where = f"{f['file_path']}:{f['line']}" if f.get("line") else f.get("file_path", "")
        lines.append(f"  [{f['severity']}] {f['title']} ({where})")
    if url:
        lines += ["", url]
    send_mail(
        subject=f"[auditor] Regression in {project.name}: {'; '.join(reasons)}"[:200],
        message="\n".join(lines),
        from_email=None,
        recipient_list=recipients,
    )
    return True


# --- Pages --------------------------------------------------------------------------------------


def scan_state(*, project_id: int) -> dict[str, Any]:
    """What pages show about re-scans: the running one, and the last automated audit's change."""
    running = running_scan(project_id=project_id)
    last = previous_automated_audit(project_id=project_id)
    return {
        "running": running,
        "state": _run_of(running).state if running else None,
        "last": last,
        "change": _run_of(last).change if last else None,
    }


def _run_of(audit: Audit) -> RescanRun:
    """The audit's run; an automated audit created without one reads as a fresh queued run."""
    try:
        return audit.rescan_run
    except RescanRun.DoesNotExist:
        return RescanRun(audit=audit)
