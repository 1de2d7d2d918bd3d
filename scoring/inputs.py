"""The evidence of an audit for formula 2.0, read from the database as the formula's inputs.

One `DomainInput` per maturity domain, in a constant number of queries: the applicable checklist
items, the open findings grouped by severity, confidence, kind of code and CWE (several findings
on one line of one file count once, as the worst), the worst findings listed one by one, the test
metrics the audit states, and what its re-scan measured.
"""

from __future__ import annotations

import re
from collections import defaultdict

from django.db.models import Count, Q

from checklists.models import ChecklistItem, ItemState
from findings.models import Finding
from projects.models import Audit, MaturityDomain
from scoring import selectors
from scoring.density import finding_points
from scoring.evidence import (
    EVIDENCE_FINDINGS_LISTED,
    PRODUCTION,
    ChecklistEvidence,
    ChecklistItemFact,
    DomainInput,
    FindingGroup,
    ListedFinding,
    TestMetrics,
)
from scoring.paths import classify_path
from scoring.selectors import audit_checklist_q

CWE_RE = re.compile(r"CWE-\d+", re.I)
# Findings of the re-scan's built-in checks that report a missing practice, and the practice of
# the repository profile that formula 2.0 scores as a component instead.
PRACTICE_FINDINGS_TOOL = "auditor-checks"
PRACTICE_FINDINGS = {
    "no-readme": "readme",
    "no-tests": "tests_present",
    "no-ci": "ci",
    "no-lock-file": "lock_file",
}


def _code_kind(path: str, cache: dict[str, str]) -> str:
    kind = cache.get(path)
    if kind is None:
        # A finding without a file (a repository-wide check) counts as production code.
        kind = classify_path(path) if path else PRODUCTION
        cache[path] = kind
    return kind


def domain_inputs(
    audit: Audit, domains: list[MaturityDomain], count_as_open: frozenset[int] = frozenset()
) -> dict[int, DomainInput]:
    """The evidence of each domain of an audit for formula 2.0, in a constant number of queries.
    `count_as_open`: closed findings to count as open (those approved exceptions closed)."""
    items: dict[int, list[ChecklistItemFact]] = defaultdict(list)
    rows = (
        ChecklistItem.objects.filter(
            audit_checklist_q(audit, "checklist__"), domain__isnull=False, carried=False
        )
        .exclude(state=ItemState.NOT_APPLICABLE)
        .values("checklist_id", "domain_id", "text", "state", "is_critical")
        .order_by("checklist_id", "order", "id")
    )
    for item in rows:
        items[item["domain_id"]].append(
            ChecklistItemFact(
                checklist_id=item["checklist_id"],
                text=item["text"],
                done=item["state"] == ItemState.DONE,
                critical=item["is_critical"],
            )
        )

    measured = selectors.audit_measurements(audit_id=audit.pk)
    kinds: dict[str, str] = {}
    groups: dict[int, dict[tuple[int, str, str, str], int]] = defaultdict(lambda: defaultdict(int))
    open_findings = Finding.objects.filter(project_id=audit.project_id, domain__isnull=False).filter(
        Q(status__in=Finding.ACTIVE_STATUSES) | Q(pk__in=count_as_open)
    )
    checked = measured.profile.practices if measured.profile is not None else {}
    duplicates = [rule for rule, practice in PRACTICE_FINDINGS.items() if practice in checked]
    if duplicates:
        # The practice is a component of its domain already: its finding would count it twice.
        open_findings = open_findings.exclude(tool=PRACTICE_FINDINGS_TOOL, rule_id__in=duplicates)
    grouped = (
        open_findings.values("domain_id", "severity", "confidence", "file_path", "line", "cwe")
        .annotate(n=Count("id"))
        .order_by()
    )
    # Several findings on one line of one file (two rules, or two analyzers, reporting the same
    # problem) count once, as the worst of them.
    worst_on_line: dict[tuple[int, str, int], tuple[float, tuple[int, str, str, str]]] = {}
    for row in grouped:
        kind = _code_kind(row["file_path"], kinds)
        cwe = CWE_RE.search(row["cwe"] or "")
        key = (row["severity"], row["confidence"].strip().lower(), kind, cwe.group().upper() if cwe else "")
        if row["line"] is None or not row["file_path"]:
            groups[row["domain_id"]][key] += row["n"]
            continue
        where = (row["domain_id"], row["file_path"], row["line"])
        points = finding_points(*key[:3])
        if where not in worst_on_line or points > worst_on_line[where][0]:
            worst_on_line[where] = (points, key)
    for (domain_id, _, _), (_, key) in worst_on_line.items():
        groups[domain_id][key] += 1
    listed: dict[int, list[ListedFinding]] = defaultdict(list)
    worst = (
        open_findings.filter(severity__gte=1)
        .order_by("-severity", "-id")
        .values("id", "domain_id", "title", "severity", "file_path", "confidence")[
            : EVIDENCE_FINDINGS_LISTED * 10
        ]
    )
    for row in worst:
        if len(listed[row["domain_id"]]) < EVIDENCE_FINDINGS_LISTED:
            listed[row["domain_id"]].append(
                ListedFinding(
                    id=row["id"],
                    title=row["title"],
                    severity=row["severity"],
                    kind=_code_kind(row["file_path"], kinds),
                    confidence=row["confidence"],
                )
            )

    metrics = TestMetrics(
        coverage_percent=None if audit.coverage_percent is None else float(audit.coverage_percent),
        passed=audit.tests_passed,
        failing=(audit.tests_failed or 0) + (audit.tests_errors or 0),
    )
    # Domains an automated scan could not measure (its scanners failed): {slug: why}. Their
    # old findings are stale evidence, so these domains stay "not measured" for this audit.
    unmeasured = audit.unmeasured_domains or {}
    inputs = {}
    for domain in domains:
        domain_items = items.get(domain.pk, [])
        inputs[domain.pk] = DomainInput(
            slug=domain.slug,
            checklist=ChecklistEvidence(tuple(domain_items)) if domain_items else None,
            findings=tuple(
                FindingGroup(severity=sev, confidence=conf, kind=kind, count=n, cwe=cwe)
                for (sev, conf, kind, cwe), n in sorted(groups.get(domain.pk, {}).items())
            ),
            listed=tuple(listed.get(domain.pk, [])),
            metrics=metrics,
            profile=measured.profile,
            runs=measured.runs,
            unmeasured=str(unmeasured.get(domain.slug, "")),
            lines_hint=audit.lines_of_code,
        )
    return inputs
