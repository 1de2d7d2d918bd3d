"""Items answered from evidence: the rules an item can declare, and the hook that evaluates them.

The evidence lives above checklists (re-scan measurements and analyzer runs in `scoring`,
findings in `findings`), so checklists only names the rules and records what they answered. An
app that may read that evidence (scoring, see `scoring/checklist_evidence.py`) registers one
evaluator per rule in its `AppConfig.ready`; checklists never imports it.

An evaluator gets the item's project, domain and threshold, and returns a `RuleVerdict`: the
answer ("done", "todo") or None when the evidence cannot decide (no re-scan yet, the analyzer
failed), with the figures it read and where they came from. The answer keeps them as its
provenance, with the date; the tech lead then confirms it or overrides it with a note.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Rule:
    slug: str
    label: str
    explains: str  # what "done" means, shown beside the item
    default_threshold: Decimal | None = None  # rules comparing with a figure


RULES: dict[str, Rule] = {
    rule.slug: rule
    for rule in (
        Rule(
            "tests_ran_in_ci",
            "JUnit shows the tests ran in CI",
            "The latest test results (JUnit) of the project report tests run and none failing.",
        ),
        Rule(
            "coverage_at_least",
            "Line coverage at or above the threshold",
            "The latest coverage figure of the project is at or above the threshold (percent).",
            default_threshold=Decimal("80"),
        ),
        Rule(
            "no_secret_found",
            "No secret found by the last re-scan",
            "The secrets scanner of the latest re-scan ran to the end and found no secret.",
        ),
        Rule(
            "ci_config_present",
            "A CI configuration exists",
            "The latest re-scan found a CI configuration in the repository.",
        ),
        Rule(
            "container_healthcheck_present",
            "A container health check exists",
            "The latest re-scan found a container HEALTHCHECK or Kubernetes probes.",
        ),
        Rule(
            "container_non_root",
            "The container runs as a non-root user",
            "The latest re-scan found Dockerfiles and every one drops root with USER.",
        ),
        Rule(
            "lock_file_present",
            "Dependencies are pinned with a lock file",
            "The latest re-scan found a lock file or fully pinned requirements.",
        ),
        Rule(
            "no_open_critical_finding",
            "No open critical finding in the item's domain",
            "No finding of critical severity is open in the item's maturity domain.",
        ),
    )
}
RULE_CHOICES = [(rule.slug, rule.label) for rule in RULES.values()]


@dataclass(frozen=True)
class RuleContext:
    """What an evaluator knows of the item: plain values, no model."""

    project_id: int
    domain_slug: str | None
    threshold: Decimal | None


@dataclass(frozen=True)
class RuleVerdict:
    state: str | None  # "done", "todo", or None: the evidence cannot decide
    summary: str  # one sentence a person reads ("Coverage 84.2% ≥ 80%, audit #12 of 2026-11-30")
    values: Mapping[str, Any] = field(default_factory=dict)  # the figures read, JSON-ready
    source: str = ""  # where they were read ("audit 12"), for the provenance


Evaluator = Callable[[RuleContext], RuleVerdict]

_evaluators: dict[str, Evaluator] = {}


def register(slug: str, evaluator: Evaluator) -> None:
    if slug not in RULES:
        raise ValueError(f"Unknown evidence rule {slug!r}; known: {', '.join(RULES)}.")
    _evaluators[slug] = evaluator


def is_registered(slug: str) -> bool:
    return slug in _evaluators


def evaluate(slug: str, context: RuleContext) -> RuleVerdict | None:
    """The verdict of a rule, or None when no app evaluates it here."""
    evaluator = _evaluators.get(slug)
    if evaluator is None:
        return None
    if context.threshold is None and RULES[slug].default_threshold is not None:
        context = RuleContext(context.project_id, context.domain_slug, RULES[slug].default_threshold)
    return evaluator(context)
