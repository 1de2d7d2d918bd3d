"""Formula 2.0: the score of one maturity domain of one audit, as a pure function.

Inputs are plain dataclasses (what the service layer read from the database), the output is a
score (or None: not measured) with the evidence that explains it. No ORM, no URLs: an evidence
entry names what it refers to (`ref`), and scoring.services turns that into a link.

The formula, in prose (docs/scoring.md has it with worked examples):

    base  = weighted mean of the positive components: checklist completion, test metrics,
            practices found in the repository, and the analyzer evidence. The analyzer evidence
            is 10 on the share of production code that language-bound analyzers read, and the
            other components' mean (or NEUTRAL when there is none) on the rest.
    score = base x findings factor, then capped.
    findings factor = exp(-major density / K_MAJOR) x (1 - MINOR_MAX x (1 - exp(-minor density / K_MINOR)))

where a density is finding points per thousand lines of production code read, a finding's
points are its severity's points x its confidence weight x its kind-of-code weight, and only
low and info notices make up the minor density (so they can never take more than MINOR_MAX of a
score). An open critical finding in production code caps the domain at CRITICAL_FINDING_CAP,
high findings stated with high confidence in production code at CONFIRMED_HIGH_CAP (three or
more: CONFIRMED_HIGH_MANY_CAP), a critical checklist item still to do at CRITICAL_ITEM_CAP; a
critical finding or three confirmed high ones also cap the audit's global score at GLOBAL_CAP.
A domain with no evidence at all, measured only by silent whole-repository checks, or whose
analyzers all failed, is not measured (None), never 0 or 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scoring.components import (
    TESTING,
    domain_coverage,
    library_only,
    metric_components,
    percent_text,
    practice_components,
    round_score,
    run_label,
    score_text,
)
from scoring.density import (
    KIND_LABEL,
    KIND_WEIGHT,
    MINOR_MAX,
    SEVERITY_NAMES,
    count_points,
    finding_points,
    findings_factor,
)
from scoring.evidence import (
    PRODUCTION,
    ChecklistItemFact,
    DomainInput,
    Evidence,
)

VERSION = "2.0"
MIN_KLOC = 1.0  # a smaller repository counts as one thousand lines (one finding is not diluted to nothing)
NEUTRAL = 5.0  # value of code nobody read, when nothing else says anything about the domain
ANALYZER_WEIGHT = 2.0  # weight of the analyzer evidence beside a checklist or a practice (1 each)
CRITICAL_FINDING_CAP = 3.0
CRITICAL_ITEM_CAP = 5.0
CONFIRMED_HIGH_CAP = 6.0  # one or two: no better than "Average"
CONFIRMED_HIGH_MANY = 3
CONFIRMED_HIGH_MANY_CAP = 4.0  # three or more: "Insufficient" at best
# A domain capped by a critical finding or by many confirmed vulnerabilities caps the global
# score too: a product with such an open problem is not "Good" overall (see the readiness gate).
GLOBAL_CAP = 5.5


@dataclass(frozen=True)
class DomainResult:
    score: Decimal | None
    why: tuple[Evidence, ...]
    rationale: str
    coverage: float | None = None  # share of production code read by applicable analyzers
    uncovered_languages: tuple[str, ...] = ()
    raw: float | None = None  # unrounded score, for tests of the formula's properties
    global_cap: float | None = None  # the audit's global score may not exceed it


# --- the formula -----------------------------------------------------------------------------


def score_domain(data: DomainInput) -> DomainResult:
    """Score one domain of one audit from its evidence (formula 2.0)."""
    name = data.slug.replace("-", " ").capitalize()
    if data.unmeasured:
        return DomainResult(None, (), f"Not measured: {data.unmeasured}.")

    coverage = domain_coverage(data.slug, data.profile, data.runs)
    run_entries = tuple(Evidence("analyzer", run_label(run)) for run in data.runs if data.slug in run.domains)
    if coverage.failed and not coverage.applicable:
        # Its analyzers all failed: what they found before is stale, and silence is not clean.
        reasons = "; ".join(
            f"{run.name} failed ({run.error or 'no reason given'})" for run in coverage.failed
        )
        return DomainResult(None, run_entries, f"Not measured: {reasons}.")

    components: list[tuple[float, float, Evidence]] = []
    why_items: list[Evidence] = []
    critical_todo: list[ChecklistItemFact] = []
    if data.checklist and data.checklist.applicable:
        checklist = data.checklist
        value = 10.0 * checklist.done / checklist.applicable
        components.append(
            (
                value,
                1.0,
                Evidence(
                    "checklist",
                    f"Checklist items done: {checklist.done} of {checklist.applicable} applicable",
                    f"component {score_text(value)}",
                    ("checklist", checklist.items[0].checklist_id),
                ),
            )
        )
        for item in checklist.items:
            state = "done" if item.done else "to do"
            why_items.append(
                Evidence(
                    "checklist_item",
                    f"{item.text} ({state}{', critical' if item.critical else ''})",
                    "",
                    ("checklist", item.checklist_id),
                )
            )
            if item.critical and not item.done:
                critical_todo.append(item)
    if data.slug == TESTING and data.metrics is not None:
        components.extend(metric_components(data.metrics))
    if data.profile is not None:
        components.extend(practice_components(data.slug, data.profile))

    points = count_points(data.findings)
    counted = points.major + points.minor > 0 or points.production_critical > 0
    # Whole-repository checks (secrets, dependencies) say nothing about the code they did not
    # flag: alone and silent, they measure nothing.
    analyzed = coverage.reads_code or counted
    if not components and not analyzed:
        if run_entries:
            missing = ", ".join(language for language, _ in coverage.uncovered) or "its languages"
            return DomainResult(None, run_entries, f"Not measured: no analyzer for {missing}.")
        if data.profile is not None and library_only(data.slug, data.profile):
            return DomainResult(
                None,
                (),
                "Not measured: the repository is a library (packaging metadata, no server entry"
                " point or container); its practices in this domain belong to the services that use it.",
            )
        return DomainResult(
            None, (), "Not measured: no checklist item, finding, metric, practice or analyzer."
        )

    why: list[Evidence] = []
    weight_sum = sum(weight for _, weight, _ in components)
    others = sum(value * weight for value, weight, _ in components) / weight_sum if weight_sum else None
    base_parts = [(value, weight) for value, weight, _ in components]
    if analyzed:
        prior = NEUTRAL if others is None else others
        analyzer_value = prior + coverage.share * (10.0 - prior)
        base_parts.append((analyzer_value, ANALYZER_WEIGHT))
        if coverage.reads_code:
            label = f"{name} measured on {percent_text(coverage.share)} of the production code"
            if coverage.uncovered:
                label += ": no analyzer for " + ", ".join(language for language, _ in coverage.uncovered)
            why.append(Evidence("coverage", label, f"component {score_text(analyzer_value)}"))
        else:
            why.append(
                Evidence(
                    "coverage",
                    f"{name}: findings without an analyzer run that says how much code was read",
                    f"component {score_text(analyzer_value)}",
                )
            )
    base = sum(value * weight for value, weight in base_parts) / sum(weight for _, weight in base_parts)

    kloc = max(coverage.read_lines / 1000.0, MIN_KLOC)
    if data.profile is None and data.lines_hint:
        kloc = max(data.lines_hint / 1000.0, MIN_KLOC)
    major_density = points.major / kloc
    minor_density = points.minor / kloc
    factor = findings_factor(major_density, minor_density)
    score = base * factor

    why.extend(entry for _, _, entry in components)
    why.extend(run_entries)
    if points.production_by_severity:
        summary = ", ".join(
            f"{n} {SEVERITY_NAMES.get(sev, str(sev))}"
            for sev, n in sorted(points.production_by_severity.items(), reverse=True)
            if n
        )
        why.append(
            Evidence(
                "findings",
                f"Open findings in production code: {summary}; {major_density:.2f} points per 1,000 lines"
                f" ({minor_density:.2f} from low and info notices, at most x{1 - MINOR_MAX:g})",
                f"x{factor:.2f}",
            )
        )
    elsewhere = {kind: n for kind, n in points.by_kind.items() if kind != PRODUCTION and n}
    if elsewhere:
        parts = ", ".join(
            f"{n} in {KIND_LABEL.get(kind, kind)} (weight {KIND_WEIGHT.get(kind, 1.0):g})"
            for kind, n in sorted(elsewhere.items())
        )
        why.append(
            Evidence(
                "findings", f"Open findings outside production code (high and critical count): {parts}", ""
            )
        )
    for finding in data.listed:
        value = finding_points(finding.severity, finding.confidence, finding.kind)
        where = "" if finding.kind == PRODUCTION else f" (in {KIND_LABEL.get(finding.kind, finding.kind)})"
        why.append(
            Evidence(
                "finding",
                f"[{SEVERITY_NAMES.get(finding.severity, '?').capitalize()}] {finding.title}{where}",
                f"{value:.2f} points",
                ("finding", finding.id),
            )
        )
    why.extend(why_items)

    caps: list[tuple[float, str]] = []
    global_cap: float | None = None
    if points.production_critical:
        caps.append((CRITICAL_FINDING_CAP, "an open critical finding in production code"))
        global_cap = GLOBAL_CAP
    confirmed = points.production_confirmed_high
    if confirmed >= CONFIRMED_HIGH_MANY:
        caps.append(
            (
                CONFIRMED_HIGH_MANY_CAP,
                f"{confirmed} confirmed high vulnerabilities (outside input takes control) in production"
                " code",
            )
        )
        global_cap = GLOBAL_CAP
    elif confirmed:
        caps.append(
            (
                CONFIRMED_HIGH_CAP,
                f"{confirmed} confirmed high vulnerabilit{'ies' if confirmed > 1 else 'y'}"
                " (outside input takes control) in production code",
            )
        )
    if critical_todo:
        caps.append((CRITICAL_ITEM_CAP, "a critical checklist item still to do"))
        for item in critical_todo:
            why.append(
                Evidence(
                    "cap",
                    f"Critical item to do: {item.text}",
                    f"caps at {score_text(CRITICAL_ITEM_CAP)}",
                    ("checklist", item.checklist_id),
                )
            )
    applied: float | None = None
    for cap, reason in sorted(caps):
        if score > cap:
            score = cap
            applied = cap
            why.insert(
                0, Evidence("cap", f"Capped at {score_text(cap)} by {reason}", f"cap {score_text(cap)}")
            )
            break
    if global_cap is not None:
        why.insert(
            1 if applied is not None else 0,
            Evidence(
                "global_cap",
                f"Caps the global score at {score_text(global_cap)}: an open critical problem in"
                " production code",
                f"global cap {score_text(global_cap)}",
                value=score_text(global_cap),
            ),
        )
    rounded = round_score(score)
    rationale = (
        f"Computed (formula {VERSION}): base {score_text(base)} from {len(base_parts)} component(s)"
        + (
            f" (analyzers read {percent_text(coverage.share)} of the production code)"
            if coverage.reads_code
            else ""
        )
        + f", findings factor x{factor:.2f}"
        + (f", capped at {score_text(applied)}" if applied is not None else "")
        + f" = {rounded}."
        + (f" It caps the global score at {score_text(global_cap)}." if global_cap is not None else "")
    )
    return DomainResult(
        score=rounded,
        why=tuple(why),
        rationale=rationale,
        coverage=coverage.share if coverage.reads_code else None,
        uncovered_languages=tuple(language for language, _ in coverage.uncovered)
        if coverage.reads_code
        else (),
        raw=score,
        global_cap=global_cap,
    )
