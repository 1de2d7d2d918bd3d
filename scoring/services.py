"""Maturity scores that explain themselves: recompute, freeze and preview them.

The formula itself is pure: scoring.formula (version 2.0, see docs/scoring.md). This module reads
the evidence of an audit from the database (checklist items, open findings, test metrics, what a
re-scan measured), hands it to the formula, links the evidence entries it returns and stores the
scores. Formula 1.0 (a penalty per finding subtracted from 10) stays here, so that scores stored
under it can be previewed against 2.0 and an explicit `recompute_scores --apply-formula 1.0` can
still roll back.

Which formula scores an audit:
- New evidence (a finding import, a checklist answer, a re-scan, an edited audit) recomputes the
  project's latest completed audit under the current formula, FORMULA_VERSION.
- Older audits are snapshots: nothing recomputes their computed scores.
- `recompute_scores` without --apply-formula keeps an audit scored under another formula version
  as it is (frozen); `formula_preview` shows what a version would change, `--apply-formula`
  applies it.
- A score entered by an auditor or stated in an imported report is kept as it is.
- Global score: weighted mean (domain weights from the admin) of the measured domains.
- Readiness gate: see `readiness_verdict`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from checklists.models import ChecklistItem, ItemState
from findings.models import Finding, Severity
from governance import selectors as governance_selectors
from projects.events import once_after_commit
from projects.models import NEWEST_FIRST, Audit, DomainScore, MaturityDomain, Project
from scoring import formula, selectors, summaries
from scoring.evidence import CODE_KINDS, PRODUCTION, AnalyzerRun, RepositoryProfile
from scoring.models import AuditAnalyzerRun, AuditProfile
from scoring.paths import classify_path

FORMULA_VERSION = formula.VERSION
LEGACY_FORMULA_VERSION = "1.0"
# Versions scores can be computed with (the current one last).
FORMULA_VERSIONS = (LEGACY_FORMULA_VERSION, FORMULA_VERSION)

# Formula 1.0: penalty per open finding of a domain, by severity (Info, Low, Medium, High, Critical).
SEVERITY_PENALTY = {
    0: Decimal("0"),
    1: Decimal("0.1"),
    2: Decimal("0.5"),
    3: Decimal("1.5"),
    4: Decimal("3.0"),
}
CRITICAL_FINDING_CAP = Decimal("3.0")
CRITICAL_ITEM_CAP = Decimal("5.0")
# Domain whose score also uses the audit's test metrics.
TESTING_DOMAIN_SLUG = "testing"
CWE_RE = re.compile(r"CWE-\d+", re.I)
# Said by the rationale of a computed score that caps its audit's global score (found by SQL).
GLOBAL_CAP_MARK = "caps the global score at"
# How many findings a domain's "why" lists one by one (the rest are summed in one line).
EVIDENCE_FINDINGS_LISTED = 25

TEN = Decimal("10")
ZERO = Decimal("0")
ONE_DECIMAL = Decimal("0.1")

# Level bands on the 0-10 scale, best first: (lower bound, name, css slug). Configurable with
# the AUDITOR_SCORE_LEVELS setting (same shape).
DEFAULT_LEVELS = (
    (Decimal("8.5"), "Excellent", "excellent"),
    (Decimal("7.0"), "Good", "good"),
    (Decimal("5.5"), "Average", "average"),
    (Decimal("4.0"), "Insufficient", "insufficient"),
    (Decimal("0.0"), "Critical", "critical"),
)
GATE_READY_MIN = Decimal("7.0")
GATE_RESERVATIONS_MIN = Decimal("5.5")

VERDICT_RANK = {
    Audit.Verdict.NOT_READY: 0,
    Audit.Verdict.WITH_RESERVATIONS: 1,
    Audit.Verdict.PRODUCTION_READY: 2,
}


@dataclass(frozen=True)
class Level:
    name: str
    slug: str


NOT_MEASURED = Level("Not measured", "none")


def levels() -> tuple[tuple[Decimal, str, str], ...]:
    configured = settings.AUDITOR_SCORE_LEVELS
    if not configured:
        return DEFAULT_LEVELS
    return tuple(sorted(((Decimal(str(b)), n, s) for b, n, s in configured), reverse=True))


def level_for(score) -> Level:
    """The level band of a 0-10 score; "Not measured" for None."""
    if score is None:
        return NOT_MEASURED
    score = Decimal(str(score))
    for bound, name, slug in levels():
        if score >= bound:
            return Level(name, slug)
    bound, name, slug = levels()[-1]
    return Level(name, slug)


def _round(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _clamp(value: Decimal) -> Decimal:
    return max(ZERO, min(TEN, value))


# --- evidence -------------------------------------------------------------------------------


def _finding_url(finding_id: int) -> str:
    return reverse("admin:findings_finding_change", args=[finding_id])


def _checklist_url(checklist_id: int) -> str:
    return reverse("admin:checklists_checklist_change", args=[checklist_id])


def _audit_url(audit: Audit) -> str:
    return reverse("audit-detail", args=[audit.pk])


def _audit_checklist_q(audit: Audit, prefix: str = "") -> Q:
    """Checklists that count for an audit: those attached to it, and the project's unattached ones."""
    return Q(**{f"{prefix}project_id": audit.project_id}) & (
        Q(**{f"{prefix}audit_id": audit.pk}) | Q(**{f"{prefix}audit__isnull": True})
    )


def _evidence_by_domain(audit: Audit) -> dict[int, dict]:
    """Everything that counts for each domain of an audit, in a constant number of queries."""
    evidence: dict[int, dict] = defaultdict(
        lambda: {
            "done": 0,
            "applicable": 0,
            "critical_todo": [],
            "items": [],
            "finding_counts": defaultdict(int),
            "findings": [],
        }
    )

    items = (
        ChecklistItem.objects.filter(_audit_checklist_q(audit, "checklist__"), domain__isnull=False)
        .values("id", "checklist_id", "checklist__title", "domain_id", "text", "state", "is_critical")
        .order_by("checklist_id", "order", "id")
    )
    for item in items:
        ev = evidence[item["domain_id"]]
        if item["state"] == ItemState.NOT_APPLICABLE:
            continue
        ev["applicable"] += 1
        if item["state"] == ItemState.DONE:
            ev["done"] += 1
        elif item["is_critical"]:
            ev["critical_todo"].append(item)
        ev["items"].append(item)

    open_findings = Finding.objects.filter(
        project_id=audit.project_id, status__in=Finding.ACTIVE_STATUSES, domain__isnull=False
    )
    for row in open_findings.values("domain_id", "severity").annotate(n=Count("id")).order_by():
        evidence[row["domain_id"]]["finding_counts"][row["severity"]] += row["n"]
    # The worst findings of each domain, listed one by one in the "why" (bounded query).
    listed = (
        open_findings.filter(severity__gte=1)
        .order_by("-severity", "-id")
        .values("id", "domain_id", "title", "severity")[: EVIDENCE_FINDINGS_LISTED * 10]
    )
    for finding in listed:
        ev = evidence[finding["domain_id"]]
        if len(ev["findings"]) < EVIDENCE_FINDINGS_LISTED:
            ev["findings"].append(finding)
    return evidence


def _testing_components(audit: Audit) -> list[tuple[Decimal, dict]]:
    components = []
    url = _audit_url(audit) + "#metrics"
    if audit.coverage_percent is not None:
        value = _clamp(Decimal(audit.coverage_percent) / TEN)
        components.append(
            (
                value,
                {
                    "kind": "metric",
                    "label": f"Line coverage {audit.coverage_percent:g}%",
                    "url": url,
                    "effect": f"component {_round(value)}",
                },
            )
        )
    passed = audit.tests_passed or 0
    failing = (audit.tests_failed or 0) + (audit.tests_errors or 0)
    if audit.tests_passed is not None or failing:
        total = passed + failing
        if total:
            value = _clamp(TEN * passed / total)
            components.append(
                (
                    value,
                    {
                        "kind": "metric",
                        "label": f"Tests: {passed} passed, {failing} failing or in error",
                        "url": url,
                        "effect": f"component {_round(value)}",
                    },
                )
            )
    return components


def compute_domain_score_v1(
    audit: Audit, domain: MaturityDomain, ev: dict | None
) -> tuple[Decimal | None, list[dict], str]:
    """Formula 1.0: (score or None when not measured, evidence list, rationale) of one domain."""
    components: list[Decimal] = []
    why: list[dict] = []
    ev = ev or {
        "done": 0,
        "applicable": 0,
        "critical_todo": [],
        "items": [],
        "finding_counts": {},
        "findings": [],
    }

    if ev["applicable"]:
        value = TEN * ev["done"] / ev["applicable"]
        components.append(value)
        why.append(
            {
                "kind": "checklist",
                "label": f"Checklist items done: {ev['done']} of {ev['applicable']} applicable",
                "url": _checklist_url(ev["items"][0]["checklist_id"]),
                "effect": f"component {_round(value)}",
            }
        )
        for item in ev["items"]:
            state = "done" if item["state"] == "done" else "to do"
            why.append(
                {
                    "kind": "checklist_item",
                    "label": f"{item['text']} ({state}{', critical' if item['is_critical'] else ''})",
                    "url": _checklist_url(item["checklist_id"]),
                    "effect": "",
                }
            )

    if domain.slug == TESTING_DOMAIN_SLUG:
        for value, entry in _testing_components(audit):
            components.append(value)
            why.append(entry)

    counts = ev["finding_counts"]
    has_findings = any(counts.values()) if counts else False
    if not components and not has_findings:
        return None, [], "Not measured: no checklist item, open finding or metric for this domain."

    base = sum(components, ZERO) / len(components) if components else TEN
    penalty = sum((SEVERITY_PENALTY[sev] * n for sev, n in counts.items()), ZERO)
    score = _clamp(base - penalty)
    if penalty:
        summary = ", ".join(
            f"{n} {Severity(sev).label.lower()}" for sev, n in sorted(counts.items(), reverse=True) if n
        )
        why.append(
            {
                "kind": "findings",
                "label": f"Open findings: {summary}",
                "url": "",
                "effect": f"-{_round(penalty)}",
            }
        )
    for finding in ev["findings"]:
        why.append(
            {
                "kind": "finding",
                "label": f"[{Severity(finding['severity']).label}] {finding['title']}",
                "url": _finding_url(finding["id"]),
                "effect": f"-{SEVERITY_PENALTY[finding['severity']]}",
            }
        )

    caps = []
    if counts.get(Severity.CRITICAL):
        caps.append((CRITICAL_FINDING_CAP, "an open critical finding"))
    if ev["critical_todo"]:
        caps.append((CRITICAL_ITEM_CAP, "a critical checklist item still to do"))
        for item in ev["critical_todo"]:
            why.append(
                {
                    "kind": "cap",
                    "label": f"Critical item to do: {item['text']}",
                    "url": _checklist_url(item["checklist_id"]),
                    "effect": f"caps at {CRITICAL_ITEM_CAP}",
                }
            )
    for cap, reason in caps:
        if score > cap:
            score = cap
            why.insert(
                0, {"kind": "cap", "label": f"Capped at {cap} by {reason}", "url": "", "effect": f"cap {cap}"}
            )
    score = _round(score)
    rationale = (
        f"Computed (formula {LEGACY_FORMULA_VERSION}): base {_round(base)}"
        f" from {len(components)} component(s), findings penalty {_round(penalty)}"
        + (f", capped at {min(c for c, _ in caps)}" if caps else "")
        + f" = {score}."
    )
    return score, why, rationale


def global_score(scores: list[tuple[Decimal | None, Decimal]]) -> Decimal | None:
    """Weighted mean of measured (score, weight) pairs; None when nothing is measured."""
    measured = [(s, w) for s, w in scores if s is not None and w > 0]
    total_weight = sum((w for _, w in measured), ZERO)
    if not total_weight:
        return None
    return _round(sum((Decimal(s) * w for s, w in measured), ZERO) / total_weight)


def readiness_verdict(
    *, global_score: Decimal | None, open_critical: int, open_high: int, critical_items_todo: int
) -> str:
    """The readiness gate.

    production ready: no open critical or high finding, every critical item done, global >= 7;
    ready with reservations: no open critical finding and global >= 5.5;
    not production ready: otherwise. Unknown when nothing is measured and no critical is open.
    """
    if global_score is None:
        return Audit.Verdict.NOT_READY if open_critical else Audit.Verdict.UNKNOWN
    if not open_critical and not open_high and not critical_items_todo and global_score >= GATE_READY_MIN:
        return Audit.Verdict.PRODUCTION_READY
    if not open_critical and global_score >= GATE_RESERVATIONS_MIN:
        return Audit.Verdict.WITH_RESERVATIONS
    return Audit.Verdict.NOT_READY


def verdict_mismatch(audit: Audit) -> str:
    """'' when consistent; 'overstated' when the stated verdict is better than the gate's;
    'understated' when it is worse. Unknown on either side is never a mismatch."""
    stated = VERDICT_RANK.get(audit.stated_verdict)
    computed = VERDICT_RANK.get(audit.computed_verdict)
    if stated is None or computed is None or stated == computed:
        return ""
    return "overstated" if stated > computed else "understated"


def gate_inputs(audit: Audit) -> dict[str, int]:
    counts = Finding.objects.filter(
        project_id=audit.project_id,
        status__in=Finding.ACTIVE_STATUSES,
        severity__gte=Severity.HIGH,
    ).aggregate(
        critical=Count("id", filter=Q(severity=Severity.CRITICAL)),
        high=Count("id", filter=Q(severity=Severity.HIGH)),
    )
    critical_todo = ChecklistItem.objects.filter(
        _audit_checklist_q(audit, "checklist__"), is_critical=True, state=ItemState.TODO
    ).count()
    return {
        "open_critical": counts["critical"],
        "open_high": counts["high"],
        "critical_items_todo": critical_todo,
    }


# --- services -------------------------------------------------------------------------------


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


def _domain_inputs(
    audit: Audit, domains: list[MaturityDomain], count_as_open: frozenset[int] = frozenset()
) -> dict[int, formula.DomainInput]:
    """The evidence of each domain of an audit for formula 2.0, in a constant number of queries.
    `count_as_open`: closed findings to count as open (those approved exceptions closed)."""
    items: dict[int, list[formula.ChecklistItemFact]] = defaultdict(list)
    rows = (
        ChecklistItem.objects.filter(_audit_checklist_q(audit, "checklist__"), domain__isnull=False)
        .exclude(state=ItemState.NOT_APPLICABLE)
        .values("checklist_id", "domain_id", "text", "state", "is_critical")
        .order_by("checklist_id", "order", "id")
    )
    for item in rows:
        items[item["domain_id"]].append(
            formula.ChecklistItemFact(
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
        points = formula.finding_points(*key[:3])
        if where not in worst_on_line or points > worst_on_line[where][0]:
            worst_on_line[where] = (points, key)
    for (domain_id, _, _), (_, key) in worst_on_line.items():
        groups[domain_id][key] += 1
    listed: dict[int, list[formula.ListedFinding]] = defaultdict(list)
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
                formula.ListedFinding(
                    id=row["id"],
                    title=row["title"],
                    severity=row["severity"],
                    kind=_code_kind(row["file_path"], kinds),
                    confidence=row["confidence"],
                )
            )

    metrics = formula.TestMetrics(
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
        inputs[domain.pk] = formula.DomainInput(
            slug=domain.slug,
            checklist=formula.ChecklistEvidence(tuple(domain_items)) if domain_items else None,
            findings=tuple(
                formula.FindingGroup(severity=sev, confidence=conf, kind=kind, count=n, cwe=cwe)
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


def _linked(audit: Audit, entry: formula.Evidence) -> dict:
    url = ""
    if entry.ref is not None:
        kind, pk = entry.ref
        if kind == "finding":
            url = _finding_url(pk)
        elif kind == "checklist":
            url = _checklist_url(pk)
        elif kind == "metrics":
            url = _audit_url(audit) + "#metrics"
    linked = {"kind": entry.kind, "label": entry.label, "url": url, "effect": entry.effect}
    if entry.value:
        linked["value"] = entry.value
    return linked


def compute_scores(
    audit: Audit,
    domains: list[MaturityDomain],
    formula_version: str = FORMULA_VERSION,
    count_as_open: frozenset[int] = frozenset(),
) -> dict[int, tuple[Decimal | None, list[dict], str]]:
    """{domain id: (score or None when not measured, linked evidence, rationale)} of an audit
    under a formula version, from the current evidence. Reads only; writes nothing."""
    if formula_version not in FORMULA_VERSIONS:
        raise ValueError(
            f"Unknown formula version {formula_version!r}; known versions: {', '.join(FORMULA_VERSIONS)}."
        )
    results: dict[int, tuple[Decimal | None, list[dict], str]] = {}
    if formula_version == LEGACY_FORMULA_VERSION:
        evidence = _evidence_by_domain(audit)
        not_measured = audit.unmeasured_domains or {}
        for domain in domains:
            if domain.slug in not_measured:
                results[domain.pk] = (None, [], f"Not measured: {not_measured[domain.slug]}.")
            else:
                results[domain.pk] = compute_domain_score_v1(audit, domain, evidence.get(domain.pk))
        return results
    for domain_id, data in _domain_inputs(audit, domains, count_as_open).items():
        result = formula.score_domain(data)
        results[domain_id] = (result.score, [_linked(audit, e) for e in result.why], result.rationale)
    return results


EXCEPTIONS_LISTED = 10


def _compare_without_exceptions(
    audit: Audit,
    domains: list[MaturityDomain],
    version: str,
    computed: dict[int, tuple[Decimal | None, list[dict], str]],
) -> None:
    """Put first in the "why" of each domain where approved exceptions closed findings the score
    without them ("6.8 (7.9 with 4 approved exceptions)") and the exceptions, linked."""
    if version == LEGACY_FORMULA_VERSION:
        return
    excepted = governance_selectors.excepted_findings(project_id=audit.project_id)
    by_domain: dict[int, dict[int, str]] = defaultdict(dict)
    for row in excepted.values():
        if row.domain_id is not None:
            by_domain[row.domain_id][row.exception_id] = row.label
    if not by_domain:
        return
    strict = compute_scores(audit, domains, version, count_as_open=frozenset(excepted))
    for domain_id, exceptions in by_domain.items():
        score, why, rationale = computed.get(domain_id, (None, [], ""))
        without = strict.get(domain_id, (None,))[0]
        if score is None or without is None:
            continue
        n = len(exceptions)
        plural = "s" if n != 1 else ""
        summary = {
            "kind": "exceptions",
            "label": f"{without} ({score} with {n} approved exception{plural})",
            "url": reverse("admin:governance_policyexception_changelist")
            + f"?project__id__exact={audit.project_id}&state__exact=approved",
            "effect": "",
            "value": str(without),
            "with": str(score),
            "count": n,
        }
        listed = [
            {"kind": "exception", "label": label, "url": _exception_url(pk), "effect": ""}
            for pk, label in sorted(exceptions.items())[:EXCEPTIONS_LISTED]
        ]
        computed[domain_id] = (score, [summary, *listed, *why], rationale)


def _exception_url(exception_id: int) -> str:
    return reverse("admin:governance_policyexception_change", args=[exception_id])


def frozen_formula_versions(audit: Audit, formula_version: str = FORMULA_VERSION) -> list[str]:
    """Other formula versions the computed scores of an audit were stored with."""
    return sorted(
        set(
            DomainScore.objects.filter(audit=audit, source=DomainScore.Source.COMPUTED)
            .exclude(formula_version__in=["", formula_version])
            .values_list("formula_version", flat=True)
        )
    )


@transaction.atomic
def audit_recompute(*, audit: Audit, formula_version: str | None = None, keep_frozen: bool = False) -> bool:
    """Recompute the computed domain scores, the global score and the computed verdict of one
    audit from the current evidence, under `formula_version` (default: the current formula),
    and save them. Manual and imported scores are kept.

    keep_frozen: an audit whose computed scores were stored under another formula version keeps
    them (only its global score and verdict are refreshed); returns False then, True otherwise.
    """
    version = formula_version or FORMULA_VERSION
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    domains = list(MaturityDomain.objects.all())
    if keep_frozen and frozen_formula_versions(audit, version):
        _save_global_and_verdict(audit, domains)
        project_refresh_summary(project_id=audit.project_id)
        return False
    existing = {s.domain_id: s for s in DomainScore.objects.filter(audit=audit)}
    computed = compute_scores(audit, domains, version)
    _compare_without_exceptions(audit, domains, version, computed)

    to_create, to_update, to_delete, stated = [], [], [], []
    for domain in domains:
        current = existing.get(domain.pk)
        score, why, rationale = computed[domain.pk]
        if current is not None and current.source != DomainScore.Source.COMPUTED:
            # A stated score is kept; its "why" shows what the evidence alone would give, so a
            # reader can compare the two.
            shown = "not measured (no evidence)" if score is None else str(score)
            current.evidence = [
                {
                    "kind": "check",
                    "url": "",
                    "effect": "",
                    "value": None if score is None else str(score),
                    "label": f"From the evidence alone, formula {version} would give {shown}",
                },
                *why,
            ]
            stated.append(current)
            continue
        if score is None:
            if current is not None:
                to_delete.append(current.pk)
            continue
        if current is None:
            to_create.append(
                DomainScore(
                    audit=audit,
                    domain=domain,
                    score=score,
                    source=DomainScore.Source.COMPUTED,
                    rationale=rationale,
                    evidence=why,
                    formula_version=version,
                )
            )
        else:
            if current.formula_version and current.formula_version != version:
                rationale += f" Was {current.score} under formula {current.formula_version}."
            current.score, current.rationale, current.evidence = score, rationale, why
            current.formula_version = version
            current.updated_at = timezone.now()
            to_update.append(current)
            existing[domain.pk] = current
    if to_delete:
        DomainScore.objects.filter(pk__in=to_delete).delete()
    if to_create:
        DomainScore.objects.bulk_create(to_create)
    if to_update:
        DomainScore.objects.bulk_update(
            to_update, ["score", "rationale", "evidence", "formula_version", "updated_at"]
        )
    if stated:
        DomainScore.objects.bulk_update(stated, ["evidence"])
    _save_global_and_verdict(audit, domains)
    project_refresh_summary(project_id=audit.project_id)
    return True


def _global_cap(audit_id: int) -> Decimal | None:
    """The lowest global cap the audit's computed scores carry in their evidence (formula 2.0:
    an open critical problem in production code), None when there is none."""
    caps = [
        Decimal(entry["value"])
        for evidence in DomainScore.objects.filter(
            audit_id=audit_id, source=DomainScore.Source.COMPUTED, rationale__contains=GLOBAL_CAP_MARK
        ).values_list("evidence", flat=True)
        for entry in evidence or []
        if isinstance(entry, dict) and entry.get("kind") == "global_cap" and entry.get("value")
    ]
    return min(caps) if caps else None


def capped_global(value: Decimal | None, cap: Decimal | None) -> Decimal | None:
    if value is None or cap is None:
        return value
    return min(value, cap)


def _save_global_and_verdict(audit: Audit, domains: list[MaturityDomain] | None = None) -> None:
    weights = {d.pk: d.weight for d in (domains or MaturityDomain.objects.all())}
    pairs = [
        (score, weights.get(domain_id, ZERO))
        for domain_id, score in DomainScore.objects.filter(audit=audit).values_list("domain_id", "score")
    ]
    audit.global_score = capped_global(global_score(pairs), _global_cap(audit.pk))
    audit.computed_verdict = readiness_verdict(global_score=audit.global_score, **gate_inputs(audit))
    Audit.objects.filter(pk=audit.pk).update(
        global_score=audit.global_score,
        computed_verdict=audit.computed_verdict,
        updated_at=timezone.now(),
    )


def audit_refresh_global(*, audit_id: int) -> None:
    """Recompute only the global score and verdict from the stored domain scores (used when an
    auditor edits a score by hand; computed scores of past audits stay as they were)."""
    audit = Audit.objects.filter(pk=audit_id).first()
    if audit is None:
        return
    _save_global_and_verdict(audit)
    project_refresh_summary(project_id=audit.project_id)


def global_scores_refresh_all(*, reason_domain_id: int | None = None) -> int:
    """Recompute every audit's global score from its stored domain scores (one UPDATE), then the
    verdict and portfolio row of each project's latest completed audit. Run after a domain
    weight changes; returns the number of projects refreshed."""
    from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Sum
    from django.db.models.functions import Round

    measured = DomainScore.objects.filter(audit=OuterRef("pk"), score__isnull=False, domain__weight__gt=0)
    weighted = (
        measured.values("audit")
        .annotate(
            mean=ExpressionWrapper(
                Sum(F("score") * F("domain__weight")) / Sum("domain__weight"),
                output_field=DecimalField(max_digits=6, decimal_places=3),
            ),
        )
        .values("mean")
    )
    Audit.objects.update(global_score=Round(Subquery(weighted), 1))
    # Audits whose computed scores cap their global score (an open critical problem) keep the cap.
    capped = (
        DomainScore.objects.filter(source=DomainScore.Source.COMPUTED, rationale__contains=GLOBAL_CAP_MARK)
        .values_list("audit_id", flat=True)
        .distinct()
    )
    for audit_id in capped.iterator():
        cap = _global_cap(audit_id)
        if cap is not None:
            Audit.objects.filter(pk=audit_id, global_score__gt=cap).update(global_score=cap)
    count = 0
    for project_id in Project.objects.values_list("pk", flat=True).iterator():
        latest = latest_completed_audit(project_id)
        if latest is not None:
            _save_global_and_verdict(latest)
        project_refresh_summary(project_id=project_id)
        count += 1
    return count


def enqueue_global_refresh(domain_id: int) -> None:
    import logging

    from scoring.tasks import recompute_global_scores

    try:
        recompute_global_scores.delay(domain_id)
    except Exception:  # broker down: the weights are saved; recompute_scores can catch up
        logging.getLogger(__name__).exception(
            "Could not queue the global score refresh after domain %s changed; run "
            "`manage.py recompute_scores` once the broker is back.",
            domain_id,
        )


def latest_completed_audit(project_id: int) -> Audit | None:
    return (
        Audit.objects.filter(project_id=project_id, status=Audit.Status.COMPLETED)
        .order_by(*NEWEST_FIRST)
        .first()
    )


def project_recompute(
    *, project_id: int, formula_version: str | None = None, keep_frozen: bool = False
) -> str:
    """Recompute the project's latest completed audit (and refresh its portfolio row); see
    audit_recompute for the arguments. Returns "recomputed", "frozen" or "no audit"."""
    if not Project.objects.filter(pk=project_id).exists():
        return "no audit"  # deleted in the meantime
    audit = latest_completed_audit(project_id)
    if audit is None:
        project_refresh_summary(project_id=project_id)
        return "no audit"
    done = audit_recompute(audit=audit, formula_version=formula_version, keep_frozen=keep_frozen)
    return "recomputed" if done else "frozen"


def schedule_recompute(*, project_id: int) -> None:
    """Recompute the project's latest completed audit once the current transaction commits
    (at once outside a transaction). Several calls in one transaction recompute once."""
    once_after_commit(("project", project_id), lambda: project_recompute(project_id=project_id))


def schedule_audit_refresh(*, audit_id: int) -> None:
    """After commit: recompute the audit if it is its project's latest completed audit,
    otherwise only its global score and verdict (its computed scores are a snapshot)."""

    def run() -> None:
        audit = Audit.objects.filter(pk=audit_id).only("pk", "project_id").first()
        if audit is None:
            return
        latest = latest_completed_audit(audit.project_id)
        if latest is not None and latest.pk == audit.pk:
            audit_recompute(audit=latest)
        else:
            audit_refresh_global(audit_id=audit_id)

    once_after_commit(("audit", audit_id), run)


def project_refresh_summary(*, project_id: int) -> None:
    """Refresh the project's portfolio row."""
    summaries.project_summary_refresh(project_id=project_id)


def is_stale(valid_until: dt.date | None, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return valid_until is not None and valid_until < today


# --- measurements of a re-scan ---------------------------------------------------------------


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


# --- preview of a formula change -------------------------------------------------------------


@dataclass(frozen=True)
class DomainPreview:
    slug: str
    name: str
    source: str  # "computed", "manual", "imported" or "" (not measured today)
    old: Decimal | None
    old_version: str  # formula version the stored score was computed with ("" if none)
    new: Decimal | None

    @property
    def delta(self) -> Decimal | None:
        if self.old is None or self.new is None:
            return None
        return self.new - self.old


@dataclass(frozen=True)
class ProjectPreview:
    project_id: int
    slug: str
    name: str
    audit_id: int
    audit_title: str
    old_global: Decimal | None
    new_global: Decimal | None
    domains: tuple[DomainPreview, ...]

    @property
    def delta(self) -> Decimal | None:
        if self.old_global is None or self.new_global is None:
            return None
        return self.new_global - self.old_global


def formula_preview(
    *, formula_version: str, project_slugs: list[str] | None = None, limit: int | None = None
) -> list[ProjectPreview]:
    """What the latest completed audit of each project would score under a formula version,
    beside what it stores today. Writes nothing (the portfolio is unchanged)."""
    if formula_version not in FORMULA_VERSIONS:
        raise ValueError(
            f"Unknown formula version {formula_version!r}; known versions: {', '.join(FORMULA_VERSIONS)}."
        )
    domains = list(MaturityDomain.objects.all())
    weights = {d.pk: d.weight for d in domains}
    projects = Project.objects.order_by("name", "pk")
    if project_slugs:
        projects = projects.filter(slug__in=project_slugs)
    if limit is not None:
        projects = projects[:limit]
    previews = []
    for project in projects:
        audit = latest_completed_audit(project.pk)
        if audit is None:
            continue
        stored = {s.domain_id: s for s in DomainScore.objects.filter(audit=audit)}
        computed = compute_scores(audit, domains, formula_version)
        rows, pairs, caps = [], [], []
        for domain in domains:
            current = stored.get(domain.pk)
            new, why, _ = computed[domain.pk]
            if current is not None and current.source != DomainScore.Source.COMPUTED:
                new = current.score  # stated scores are kept under every formula
            else:
                caps += [Decimal(e["value"]) for e in why if e["kind"] == "global_cap" and e.get("value")]
            rows.append(
                DomainPreview(
                    slug=domain.slug,
                    name=domain.name,
                    source=current.source if current is not None else "",
                    old=current.score if current is not None else None,
                    old_version=current.formula_version if current is not None else "",
                    new=new,
                )
            )
            pairs.append((new, weights[domain.pk]))
        previews.append(
            ProjectPreview(
                project_id=project.pk,
                slug=project.slug,
                name=project.name,
                audit_id=audit.pk,
                audit_title=audit.title,
                old_global=audit.global_score,
                new_global=capped_global(global_score(pairs), min(caps) if caps else None),
                domains=tuple(rows),
            )
        )
    return previews


@transaction.atomic
def audit_copy_measurements(*, source_audit_id: int, audit_id: int) -> bool:
    """Give an audit the measurements of another (a re-scan that found the same commit measured
    nothing new). Returns False, changing nothing, when the source recorded none."""
    measured = selectors.audit_measurements(audit_id=source_audit_id)
    if measured.profile is None:
        return False
    audit_record_measurements(audit_id=audit_id, profile=measured.profile, runs=list(measured.runs))
    return True
