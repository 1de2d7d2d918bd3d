"""Maturity scores that explain themselves: compute them, store them, keep them current.

The formula is pure (scoring.formula, version 2.0, see docs/scoring.md); scoring.inputs reads its
inputs from the database and scoring.links links the evidence it returns. This module computes an
audit's scores under a formula version (`compute_scores`, also formula 1.0: scoring.formula_v1),
stores them (`audit_recompute`, `project_recompute`) with the global score and the readiness gate
(scoring.gate), and schedules recomputes when evidence changes.

Which formula scores an audit:
- New evidence (a finding import, a checklist answer, a re-scan, an edited audit) recomputes the
  project's latest completed audit under the current formula, FORMULA_VERSION.
- Older audits are snapshots: nothing recomputes their computed scores.
- `recompute_scores` without --apply-formula keeps an audit scored under another formula version
  as it is (frozen); scoring.preview shows what a version would change, `--apply-formula`
  applies it.
- A score entered by an auditor or stated in an imported report is kept as it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from governance import selectors as governance_selectors
from projects.events import once_after_commit, settle, settled_after
from projects.models import NEWEST_FIRST, Audit, DomainScore, MaturityDomain, Project
from scoring import formula, formula_v1, links, signals, summaries
from scoring.gate import ZERO, capped_global, gate_inputs, global_score, readiness_verdict
from scoring.inputs import domain_inputs

FORMULA_VERSION = formula.VERSION
LEGACY_FORMULA_VERSION = formula_v1.VERSION
# Versions scores can be computed with (the current one last).
FORMULA_VERSIONS = (LEGACY_FORMULA_VERSION, FORMULA_VERSION)
# Said by the rationale of a computed score that caps its audit's global score (found by SQL).
GLOBAL_CAP_MARK = "caps the global score at"


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
        evidence = formula_v1.evidence_by_domain(audit)
        not_measured = audit.unmeasured_domains or {}
        for domain in domains:
            if domain.slug in not_measured:
                results[domain.pk] = (None, [], f"Not measured: {not_measured[domain.slug]}.")
            else:
                results[domain.pk] = formula_v1.score_domain(audit, domain, evidence.get(domain.pk))
        return results
    for domain_id, data in domain_inputs(audit, domains, count_as_open).items():
        result = formula.score_domain(data)
        results[domain_id] = (result.score, [links.linked(audit, e) for e in result.why], result.rationale)
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
            {"kind": "exception", "label": label, "url": links.exception_url(pk), "effect": ""}
            for pk, label in sorted(exceptions.items())[:EXCEPTIONS_LISTED]
        ]
        computed[domain_id] = (score, [summary, *listed, *why], rationale)


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
    before = signals.state_before(audit)
    domains = list(MaturityDomain.objects.all())
    if keep_frozen and frozen_formula_versions(audit, version):
        _save_global_and_verdict(audit, domains)
        project_refresh_summary(project_id=audit.project_id)
        _announce(audit, before)
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
    _announce(audit, before)
    # Recomputed inside a transaction (a re-scan's run): the recomputes its own changes asked
    # for after commit (the import's evidence, the audit's save) are done already.
    settle(("audit-scores", audit.pk))
    return True


def _announce(audit: Audit, before: signals.ScoreState) -> None:
    # Deleting a computed score during the recompute remembered a state: not an edit of its own.
    signals.forget_state(audit_id=audit.pk)
    signals.announce_changes(audit_id=audit.pk, before=before)


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
    before = signals.state_before(audit)
    _save_global_and_verdict(audit)
    project_refresh_summary(project_id=audit.project_id)
    _announce(audit, before)


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
    # Weights move global scores and gates only; the signals compare those of the latest audits.
    old = {
        pk: (value, verdict)
        for pk, value, verdict in Audit.objects.values_list("pk", "global_score", "computed_verdict")
    }
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
            if latest.pk in old:  # not created in the meantime
                value, verdict = old[latest.pk]
                signals.announce_changes(
                    audit_id=latest.pk, before=signals.ScoreState(value, verdict, domains=None)
                )
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
    *,
    project_id: int,
    formula_version: str | None = None,
    keep_frozen: bool = False,
    asked: Hashable | None = None,
) -> str:
    """Recompute the project's latest completed audit (and refresh its portfolio row); see
    audit_recompute for the arguments. Returns "recomputed", "frozen" or "no audit".

    `asked`: run after commit for this after-commit key (the evidence or the project): nothing
    to do when the transaction that committed recomputed the audit after it last asked."""
    if not Project.objects.filter(pk=project_id).exists():
        return "no audit"  # deleted in the meantime
    audit = latest_completed_audit(project_id)
    if audit is None:
        project_refresh_summary(project_id=project_id)
        return "no audit"
    if asked is not None and formula_version is None and settled_after(("audit-scores", audit.pk), asked):
        return "recomputed"
    done = audit_recompute(audit=audit, formula_version=formula_version, keep_frozen=keep_frozen)
    return "recomputed" if done else "frozen"


def schedule_recompute(*, project_id: int) -> None:
    """Recompute the project's latest completed audit once the current transaction commits
    (at once outside a transaction). Several calls in one transaction recompute once."""
    key = ("project", project_id)
    once_after_commit(key, lambda: project_recompute(project_id=project_id, asked=key))


def schedule_audit_refresh(*, audit_id: int) -> None:
    """After commit: recompute the audit if it is its project's latest completed audit,
    otherwise only its global score and verdict (its computed scores are a snapshot)."""

    def run() -> None:
        if settled_after(("audit-scores", audit_id), ("audit", audit_id)):
            return  # recomputed in place after the change that asked
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
