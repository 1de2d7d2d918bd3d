"""How much of a report the importer reads right, against a truth file written by hand.

A corpus is a folder of reports (`name.md`) each with `name.truth.json`:
  {"accepted", "project_name", "verdict", "date", "version", "global_score",
   "scores": {label: 0–10}, "metrics": {field: value}, "checklist": {"done", "todo"},
   "findings": {"count", "by_severity": {"critical", "high", "medium", "low", "info"}}}
Used by `bench/bench_reports.py` (prints the shares) and by the corpus test (checks floors).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reports.encoding import decode_report
from reports.errors import ReportError
from reports.markdown import norm
from reports.metrics import MetricValue
from reports.parser import ParsedReport, parse_report

if TYPE_CHECKING:
    from collections.abc import Iterable

    from projects.models import MaturityDomain

CATEGORIES = (
    "accepted",
    "project",
    "verdict",
    "date",
    "version",
    "stated scores kept",
    "scores invented",
    "global",
    "metrics",
    "checklist items and states",
    "findings",
)
SEVERITY_NAMES = {4: "critical", 3: "high", 2: "medium", 1: "low", 0: "info"}
READY = {"production_ready": "yes", "with_reservations": "yes", "not_ready": "no"}


@dataclass
class Tally:
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    misses: list[str] = field(default_factory=list)
    inverted_verdicts: list[str] = field(default_factory=list)
    wrong_verdicts: list[str] = field(default_factory=list)

    def count(self, category: str, right: int, total: int, name: str = "", what: str = "") -> None:
        self.right[category] += right
        self.total[category] += total
        if right < total and name:
            self.misses.append(f"{name}: {category}: {what}")

    def share(self, category: str | None = None) -> float:
        if category is None:
            right, total = sum(self.right.values()), sum(self.total.values())
        else:
            right, total = self.right[category], self.total[category]
        return right / total if total else 1.0


def _close(a: MetricValue | None, b: MetricValue | None, tolerance: float = 0.051) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= tolerance


def _label_match(truth: str, parsed: str) -> bool:
    t, p = norm(truth), norm(parsed)
    return bool(t and p) and (t == p or t in p or p in t)


def check_report(name: str, parsed: ParsedReport | None, truth: dict[str, Any], tally: Tally) -> None:
    tally.count("accepted", int((parsed is not None) == truth.get("accepted", True)), 1, name, "accepted?")
    if parsed is None or not truth.get("accepted", True):
        return
    project = norm(parsed.project_name) == norm(truth.get("project_name") or "")
    tally.count("project", int(project), 1, name, f"{parsed.project_name!r} ({parsed.project_rule})")
    verdict = truth.get("verdict", "unknown")
    tally.count("verdict", int(parsed.verdict == verdict), 1, name, f"{parsed.verdict} != {verdict}")
    if parsed.verdict != verdict:
        tally.wrong_verdicts.append(name)
        if READY.get(parsed.verdict) and READY.get(verdict) and READY[parsed.verdict] != READY[verdict]:
            tally.inverted_verdicts.append(name)
    date = str(parsed.audit_date) if parsed.audit_date else None
    tally.count("date", int(date == truth.get("date")), 1, name, f"{date} != {truth.get('date')}")
    version = (parsed.version or "").lstrip("vV") or None
    expected_version = (truth.get("version") or "").lstrip("vV") or None
    tally.count("version", int(version == expected_version), 1, name, f"{version} != {expected_version}")

    stated = list(parsed.stated_scores)
    unmatched = list(stated)
    kept = 0
    for label, value in (truth.get("scores") or {}).items():
        hit = next((s for s in unmatched if _label_match(label, s.label) and _close(s.score, value)), None)
        hit = hit or next((s for s in unmatched if _close(s.score, value)), None)
        if hit is not None:
            unmatched.remove(hit)
            kept += 1
        else:
            tally.misses.append(f"{name}: stated scores kept: {label}={value} missing")
    tally.count("stated scores kept", kept, len(truth.get("scores") or {}))
    tally.count(
        "scores invented",
        len(stated) - len(unmatched),
        len(stated),
        name,
        ", ".join(f"{s.label}={s.score}" for s in unmatched),
    )
    tally.count(
        "global",
        int(_close(parsed.stated_global, truth.get("global_score"))),
        1,
        name,
        f"{parsed.stated_global} != {truth.get('global_score')}",
    )

    metrics_truth = truth.get("metrics") or {}
    right = sum(
        1 for k, v in metrics_truth.items() if k in parsed.metrics and _close(parsed.metrics[k], v, 0.01)
    )
    extra = [k for k in parsed.metrics if k not in metrics_truth]
    wrong = [
        f"{k}={parsed.metrics.get(k)} (truth {v})"
        for k, v in metrics_truth.items()
        if not (k in parsed.metrics and _close(parsed.metrics[k], v, 0.01))
    ]
    tally.count(
        "metrics",
        right,
        len(metrics_truth) + len(extra),
        name,
        ", ".join(wrong + [f"invented {k}={parsed.metrics[k]}" for k in extra]),
    )

    items = [i for c in parsed.checklists for i in c.items]
    done = sum(1 for i in items if i.state != "todo")
    todo = sum(1 for i in items if i.state == "todo")
    expected = truth.get("checklist") or {"done": 0, "todo": 0}
    tally.count(
        "checklist items and states",
        int(done == expected.get("done", 0)) + int(todo == expected.get("todo", 0)),
        2,
        name,
        f"done {done}/{expected.get('done')} todo {todo}/{expected.get('todo')}",
    )

    by_severity = (truth.get("findings") or {}).get("by_severity") or {}
    found = {n: 0 for n in SEVERITY_NAMES.values()}
    for f in parsed.findings:
        found[SEVERITY_NAMES[f.severity]] += 1
    right = sum(min(found[n], by_severity.get(n, 0)) for n in found)
    total = sum(max(found[n], by_severity.get(n, 0)) for n in found)
    tally.count("findings", right, total, name, f"found {found} truth {by_severity}")


def run_corpus(folder: Path, domains: Iterable[MaturityDomain], *, detail: bool = False) -> Tally:
    tally = Tally()
    for truth_path in sorted(folder.glob("*.truth.json")):
        name = truth_path.name.removesuffix(".truth.json")
        report = next((p for p in folder.glob(f"{name}.*") if not p.name.endswith(".truth.json")), None)
        if report is None:
            continue
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        try:
            text, notes = decode_report(report.read_bytes())
            parsed = parse_report(text, domains=domains, file_name=report.name)
        except ReportError:
            parsed = None
        check_report(name, parsed, truth, tally)
    return tally


def default_domains() -> list[MaturityDomain]:
    """The maturity domains a fresh installation has (migrations' data), unsaved: the corpus can
    be measured without a database."""
    import importlib

    from projects.models import MaturityDomain

    defaults = importlib.import_module("projects.migrations.0002_default_domains").DEFAULT_DOMAINS
    extra = importlib.import_module("projects.migrations.0008_report_domain_aliases").REPORT_ALIASES
    return [
        MaturityDomain(
            pk=i, name=name, slug=slug, weight=Decimal(weight), aliases=[*aliases, *extra.get(slug, [])]
        )
        for i, (name, slug, weight, aliases, _description) in enumerate(defaults, start=1)
    ]
