"""Any audit as a Markdown report, written so that importing it gives the same audit back.

The shape follows the conventions the importer reads (see `parser.py`): "**Key:** value" lines
for the header, a "Metric | Value" table, a "Domain | Score" table with "/10" scores and a
"Global" row, findings as list items under "## Findings" grouped by severity headings
("Title — `path:line` — status"), and one "## Checklist: <title>" section per checklist with
its sections as "###" headings and "- [x]" / "- [ ]" items.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.db.models import Prefetch, Q

from checklists.models import Checklist, ChecklistItem
from findings.models import Finding
from projects.models import Audit
from reports.models import StatedScore

SEVERITY_LABELS = {4: "Critical", 3: "High", 2: "Medium", 1: "Low", 0: "Info"}
STATUS_TEXT = {
    "open": "open",
    "in_progress": "in progress",
    "fixed": "fixed",
    "accepted_risk": "accepted risk",
    "false_positive": "false positive",
}


def _one_line(text: object) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip()


def _cell(text: object) -> str:
    return _one_line(text).replace("|", "\\|")


def _number(value: object) -> str:
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    if isinstance(value, float):
        return repr(value).removesuffix(".0") if value == int(value) else repr(value)
    return str(value)


def _score(value: Decimal | None) -> str:
    return "not measured" if value is None else f"{Decimal(value):.1f}/10"


def _metric_rows(audit: Audit) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []

    def add(label: str, value: object, suffix: str = "") -> None:
        if value is not None:
            rows.append((label, f"{_number(value)}{suffix}"))

    add("Tests passed", audit.tests_passed)
    add("Tests failed", audit.tests_failed)
    add("Test errors", audit.tests_errors)
    add("Tests skipped", audit.tests_skipped)
    add("Test duration", audit.tests_duration_seconds, " s")
    add("Line coverage", audit.coverage_percent, "%")
    add("Branch coverage", audit.branch_coverage_percent, "%")
    add("Security issues critical", audit.security_critical)
    add("Security issues high", audit.security_high)
    add("Security issues medium", audit.security_medium)
    add("Security issues low", audit.security_low)
    add("Files", audit.files_count)
    add("Lines of code", audit.lines_of_code)
    add("Warnings", audit.warnings_count)
    extra = dict(audit.extra_metrics or {})
    add("Response time", extra.pop("response_time_ms", None), " ms")
    add("Availability", extra.pop("availability_percent", None), "%")
    extra.pop("already_in_production", None)
    for key, value in sorted(extra.items()):
        if isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool):
            rows.append((str(key), _one_line(value)))
    return rows


def audit_to_markdown(audit: Audit) -> str:
    """The audit as a Markdown report (title, header, metrics, scores, findings, checklists, summary)."""
    audit = Audit.objects.select_related("project").get(pk=audit.pk)
    project = audit.project
    scores = list(
        audit.domain_scores.select_related("domain").order_by("domain__display_order", "domain__name")
    )
    findings = list(
        Finding.objects.filter(project_id=audit.project_id)
        .filter(Q(first_seen_audit=audit) | Q(last_seen_audit=audit))
        .order_by("-severity", "title", "id")
    )
    checklists = list(
        Checklist.objects.filter(audit=audit)
        .order_by("id")
        .prefetch_related(Prefetch("items", queryset=ChecklistItem.objects.order_by("order", "id")))
    )

    out: list[str] = [f"# {_one_line(audit.title) or 'Audit report'}", ""]
    header = [
        ("Project", project.name),
        ("Date", audit.audit_date.isoformat() if audit.audit_date else "not stated"),
        ("Version", audit.version_label),
        ("Kind", audit.get_kind_display() + (" (self-attested)" if audit.is_self_attested else "")),
        (
            "Verdict",
            "Already in production"
            if (audit.extra_metrics or {}).get("already_in_production")
            else audit.get_stated_verdict_display(),
        ),
        (
            "Stated global score",
            _score(audit.stated_global_score) if audit.stated_global_score is not None else "",
        ),
        ("Computed gate", audit.get_computed_verdict_display()),
        ("Valid until", audit.valid_until.isoformat() if audit.valid_until else ""),
        ("Commit", audit.commit_sha),
    ]
    for label, value in header:
        if value:
            out.append(f"**{label}:** {_one_line(value)}  ")
    out.append("")

    rows = _metric_rows(audit)
    if rows:
        out += ["## Metrics", "", "| Metric | Value |", "|--------|-------|"]
        out += [f"| {_cell(label)} | {_cell(value)} |" for label, value in rows]
        out.append("")

    if scores or audit.global_score is not None or audit.stated_global_score is not None:
        out += ["## Maturity scores", "", "| Domain | Score | Source |", "|--------|-------|--------|"]
        for s in scores:
            out.append(f"| {_cell(s.domain.name)} | {_score(s.score)} | {s.get_source_display()} |")
        shown_global = audit.global_score if audit.global_score is not None else audit.stated_global_score
        if shown_global is not None:
            out.append(f"| **Global** | **{_score(shown_global)}** | weighted mean |")
        out.append("")

    unmapped = list(StatedScore.objects.filter(audit=audit, domain__isnull=True).order_by("order", "id"))
    if unmapped:
        # Scores whose label names no maturity domain: kept as the report stated them.
        out += ["## Stated scores", "", "| Label | Score | As written |", "|-------|-------|------------|"]
        for stated in unmapped:
            out.append(f"| {_cell(stated.label)} | {_score(stated.score)} | {_cell(stated.raw)} |")
        out.append("")

    out += ["## Findings", ""]
    if not findings:
        out += ["No findings recorded for this audit.", ""]
    for level in sorted(SEVERITY_LABELS, reverse=True):
        group = [f for f in findings if f.severity == level]
        if not group:
            continue
        out += [f"### {SEVERITY_LABELS[level]} ({len(group)})", ""]
        for f in group:
            parts = [_one_line(f.title)]
            if f.file_path:
                parts.append(f"`{f.file_path}:{f.line}`" if f.line else f"`{f.file_path}`")
            parts.append(STATUS_TEXT.get(f.status, f.status))
            out.append("- " + " — ".join(parts))
        out.append("")

    for checklist in checklists:
        out += [f"## Checklist: {_one_line(checklist.title)}", ""]
        section = None
        items = list(checklist.items.all())
        # Items without a section first: a heading cannot be "closed" in Markdown.
        first_seen: dict[str, int] = {}
        for item in items:
            first_seen.setdefault(item.section, len(first_seen) + (0 if item.section else -(10**6)))
        items.sort(key=lambda item: first_seen[item.section])
        for item in items:
            if item.section != section:
                section = item.section
                if section:
                    if out[-1] != "":
                        out.append("")
                    out += [f"### {_one_line(section)}", ""]
            box = "x" if item.state == "done" else " "
            line = f"- [{box}] {_one_line(item.text)}"
            if item.state == "na":
                line += f" — not applicable: {_one_line(item.note)}"
            out.append(line)
        out.append("")
    if audit.summary.strip():
        # Last and quoted: a summary's own headings, checkboxes or "7/10" never change what the
        # sections above state when the export is imported again (the first statement wins).
        out += ["## Summary", ""]
        out += [f"> {line}".rstrip() for line in audit.summary.strip().splitlines()]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
