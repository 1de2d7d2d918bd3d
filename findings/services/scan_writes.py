"""Writing a planned scanner import: COPY for new findings and one UPDATE per kind of change on
PostgreSQL (a constant number of statements whatever the report's size), batches elsewhere."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import connection

from findings import sla
from findings.importers import ScanFinding
from findings.models import Finding, ImportRun

ACTIVE = tuple(str(s) for s in Finding.ACTIVE_STATUSES)
CLOSED_BY_HUMAN = (str(Finding.Status.ACCEPTED_RISK), str(Finding.Status.FALSE_POSITIVE))
FIXED = str(Finding.Status.FIXED)
OPEN = str(Finding.Status.OPEN)
ACCEPTED_RISK = str(Finding.Status.ACCEPTED_RISK)
# Non-PostgreSQL databases (the embedded SQLite default) write in batches of this size.
BATCH_SIZE = 500


@dataclass
class ImportPlan:
    create: list[ScanFinding] = field(default_factory=list)
    still_open: list[tuple[int, ScanFinding]] = field(default_factory=list)
    reopen: list[tuple[int, ScanFinding]] = field(default_factory=list)
    unchanged_closed: list[tuple[int, ScanFinding]] = field(default_factory=list)
    resolve: list[int] = field(default_factory=list)


COPY_COLUMNS = (
    "project_id",
    "first_seen_audit_id",
    "last_seen_audit_id",
    "title",
    "description",
    "severity",
    "confidence",
    "domain_id",
    "status",
    "status_changed_at",
    "tool",
    "rule_id",
    "cwe",
    "file_path",
    "line",
    "recommendation",
    "effort",
    "fingerprint",
    "first_seen_at",
    "last_seen_at",
    "created_at",
    "updated_at",
    "sla_due_at",
)


def _values(run: ImportRun, finding: ScanFinding, domains: dict, now, sla_days: dict) -> tuple:
    return (
        run.project_id,
        run.audit_id,
        run.audit_id,
        finding.title[:500],
        finding.description,
        int(finding.severity),
        finding.confidence[:20],
        domains.get(finding.domain_slug),
        OPEN,
        now,
        finding.tool[:100],
        finding.rule_id[:200],
        finding.cwe[:20],
        finding.file_path[:1000],
        finding.line,
        finding.recommendation,
        "",
        finding.fingerprint,
        now,
        now,
        now,
        now,
        sla.due_at(now, int(finding.severity), sla_days),
    )


def write_findings(run: ImportRun, plan: ImportPlan, domains: dict, now) -> None:
    if connection.vendor == "postgresql":
        write_postgresql(run, plan, domains, now)
    else:
        write_portable(run, plan, domains, now)


# COPY text format escapes; str.replace is several times faster than str.translate here, and
# most values need none of them (50,000 rows: 0.8 s instead of 1.6-2.2 s, load average 12).
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def copy_text(value: str) -> str:
    """`value` escaped for COPY's text format."""
    for old, new in _COPY_ESCAPES:
        if old in value:
            value = value.replace(old, new)
    return value


COPY_CHUNK_ROWS = 5000


def copy_chunks(run: ImportRun, findings: list[ScanFinding], domains: dict, now, sla_days: dict):
    """COPY text-format lines for COPY_COLUMNS, built here in one f-string per row: several
    times faster than psycopg's per-value adaptation (write_row)."""
    t = copy_text
    stamp = now.isoformat()
    audit = "\\N" if run.audit_id is None else str(run.audit_id)
    head = f"{run.project_id}\t{audit}\t{audit}\t"
    tail = f"\t{stamp}\t{stamp}\t{stamp}\t{stamp}"
    null = "\\N"
    # The SLA clock starts now for every new finding: one due date per severity.
    due = {
        sev: null if d is None else (now + datetime.timedelta(days=d)).isoformat()
        for sev, d in sla_days.items()
    }
    for start in range(0, len(findings), COPY_CHUNK_ROWS):
        lines = []
        for f in findings[start : start + COPY_CHUNK_ROWS]:
            title, description, confidence = f.title[:500], f.description, f.confidence[:20]
            tool, rule_id, cwe = f.tool[:100], f.rule_id[:200], f.cwe[:20]
            file_path, recommendation = f.file_path[:1000], f.recommendation
            # Most rows hold nothing to escape: one look at all their text instead of one
            # copy_text call per value (a third of this loop's time).
            text = f"{title}{description}{confidence}{tool}{rule_id}{cwe}{file_path}{recommendation}"
            if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
                title, description, confidence = t(title), t(description), t(confidence)
                tool, rule_id, cwe = t(tool), t(rule_id), t(cwe)
                file_path, recommendation = t(file_path), t(recommendation)
            domain = domains.get(f.domain_slug)
            severity = int(f.severity)
            lines.append(
                f"{head}{title}\t{description}\t{severity}\t{confidence}\t"
                f"{null if domain is None else domain}\t{OPEN}\t{stamp}\t{tool}\t{rule_id}\t"
                f"{cwe}\t{file_path}\t{null if f.line is None else int(f.line)}\t{recommendation}\t"
                f"\t{f.fingerprint}{tail}\t{due.get(severity, null)}"
            )
        text = "\n".join(lines) + "\n"
        # PostgreSQL text cannot hold NUL; lone surrogates (valid in JSON) cannot be encoded.
        yield text.replace("\x00", "").encode("utf-8", "replace")


def write_postgresql(run: ImportRun, plan: ImportPlan, domains: dict, now) -> None:
    """A constant number of statements whatever the number of findings: COPY for new rows,
    one UPDATE ... FROM unnest(arrays) per kind of change."""
    assert Finding._meta.db_table == "findings_finding"
    with connection.cursor() as cursor:
        if plan.create:
            columns = ", ".join(COPY_COLUMNS)
            with cursor.cursor.copy(f"COPY findings_finding ({columns}) FROM STDIN") as copy:
                for chunk in copy_chunks(run, plan.create, domains, now, sla.days_by_severity(run.project)):
                    copy.write(chunk)
        seen = plan.still_open + plan.unchanged_closed
        if seen:
            cursor.execute(
                "UPDATE findings_finding AS f SET line = v.line, last_seen_at = %s, updated_at = %s, "
                "last_seen_audit_id = COALESCE(%s, f.last_seen_audit_id) "
                "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, line) WHERE f.id = v.id",
                [now, now, run.audit_id, [pk for pk, _f in seen], [f.line for _pk, f in seen]],
            )
        if plan.reopen:
            cursor.execute(
                # The SLA clock resumes: the time the finding spent fixed moves its due date on
                # (every expression reads the row as it was before this UPDATE).
                "UPDATE findings_finding AS f SET line = v.line, status = %s, reopened_at = %s, "
                "status_changed_at = %s, fixed_at = NULL, resolved_by_import_id = NULL, "
                "fixed_within_sla = NULL, last_seen_at = %s, updated_at = %s, "
                # How long it was fixed (none without a fixing time) is the clock's pause.
                "sla_paused = f.sla_paused + GREATEST(COALESCE(%s - f.fixed_at, interval '0'), '0'), "
                "sla_due_at = f.sla_due_at + GREATEST(COALESCE(%s - f.fixed_at, interval '0'), '0'), "
                "last_seen_audit_id = COALESCE(%s, f.last_seen_audit_id) "
                "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, line) WHERE f.id = v.id",
                [
                    OPEN,
                    now,
                    now,
                    now,
                    now,
                    now,
                    now,
                    run.audit_id,
                    [pk for pk, _f in plan.reopen],
                    [f.line for _pk, f in plan.reopen],
                ],
            )
        if plan.resolve:
            cursor.execute(
                "UPDATE findings_finding SET status = %s, fixed_at = %s, status_changed_at = %s, "
                "resolved_by_import_id = %s, updated_at = %s, "
                "fixed_within_sla = CASE WHEN sla_due_at IS NULL THEN NULL ELSE sla_due_at >= %s END "
                "WHERE id = ANY(%s::bigint[])",
                [FIXED, now, now, run.pk, now, now, plan.resolve],
            )


def _clean(value):
    if value.__class__ is str:
        return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return value


def write_portable(run: ImportRun, plan: ImportPlan, domains: dict, now) -> None:
    sla_days = sla.days_by_severity(run.project)
    Finding.objects.bulk_create(
        [
            Finding(
                **{
                    column: _clean(value)
                    for column, value in zip(
                        COPY_COLUMNS, _values(run, f, domains, now, sla_days), strict=True
                    )
                }
            )
            for f in plan.create
        ],
        batch_size=BATCH_SIZE,
    )
    seen = [
        Finding(pk=pk, line=f.line, last_seen_at=now, updated_at=now, last_seen_audit_id=run.audit_id)
        for pk, f in plan.still_open + plan.unchanged_closed
    ]
    fields = ["line", "last_seen_at", "updated_at"] + (["last_seen_audit_id"] if run.audit_id else [])
    Finding.objects.bulk_update(seen, fields, batch_size=BATCH_SIZE)
    lines = dict(plan.reopen)
    reopen_ids = list(lines)
    for start in range(0, len(reopen_ids), BATCH_SIZE):
        reopened = list(
            Finding.objects.filter(pk__in=reopen_ids[start : start + BATCH_SIZE]).only(
                "pk", "fixed_at", "sla_due_at", "sla_paused"
            )
        )
        for finding in reopened:
            sla.resume(finding, now)  # the time it spent fixed does not count
            finding.line = lines[finding.pk].line
            finding.status, finding.reopened_at, finding.status_changed_at = OPEN, now, now
            finding.fixed_at, finding.fixed_within_sla, finding.resolved_by_import = None, None, None
            finding.last_seen_at = finding.updated_at = now
            finding.last_seen_audit_id = run.audit_id
        Finding.objects.bulk_update(
            reopened,
            [
                *fields,
                "status",
                "reopened_at",
                "status_changed_at",
                "fixed_at",
                "fixed_within_sla",
                "resolved_by_import",
                "sla_due_at",
                "sla_paused",
            ],
        )
    for start in range(0, len(plan.resolve), BATCH_SIZE):
        Finding.objects.filter(pk__in=plan.resolve[start : start + BATCH_SIZE]).update(
            status=FIXED,
            fixed_at=now,
            status_changed_at=now,
            resolved_by_import=run,
            updated_at=now,
            fixed_within_sla=sla.fixed_within_sla_case(now),
        )
