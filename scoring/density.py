"""How much open findings weigh (formula 2.0, pure): a finding's points, and the findings factor.

A finding's points are its severity's points x the weight of the confidence its tool stated x
the weight of the kind of code it is in. Points per thousand lines of production code read make
two densities, major (medium and above) and minor (low and info notices); the findings factor
multiplies the domain's base:

    factor = exp(-major density / K_MAJOR) x (1 - MINOR_MAX x (1 - exp(-minor density / K_MINOR)))

so notices alone never take more than MINOR_MAX of a score. Plain data in and out (docs/scoring.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from scoring.evidence import DOCS, FIXTURE, PRODUCTION, TEST, VENDORED, FindingGroup

# Points of one finding in production code with high confidence, by severity (Info .. Critical).
SEVERITY_POINTS: Mapping[int, float] = {0: 0.2, 1: 1.0, 2: 2.0, 3: 5.0, 4: 10.0}
MINOR_SEVERITIES = frozenset({0, 1})  # low and info notices: their effect is bounded
# Confidence the tool stated, lower-cased; anything else (or nothing) counts as medium.
CONFIDENCE_WEIGHT: Mapping[str, float] = {
    "verified": 1.0,
    "confirmed": 1.0,
    "certain": 1.0,
    "very-high": 1.0,
    "high": 1.0,
    "medium": 0.7,
    "firm": 0.7,
    "low": 0.4,
    "tentative": 0.4,
    "very-low": 0.4,
}
UNKNOWN_CONFIDENCE_WEIGHT = 0.7
# Findings outside production code still show, at a much lower weight; vendored or generated
# code is not the team's: its findings do not count.
KIND_WEIGHT: Mapping[str, float] = {PRODUCTION: 1.0, TEST: 0.1, FIXTURE: 0.1, DOCS: 0.05, VENDORED: 0.0}
# Outside production code only high and critical findings count (a real key in a fixture).
NON_PRODUCTION_MIN_SEVERITY = 3
KIND_LABEL: Mapping[str, str] = {
    PRODUCTION: "production code",
    TEST: "tests",
    FIXTURE: "fixtures and examples",
    DOCS: "documentation",
    VENDORED: "vendored or generated code",
}
# Densities (points per thousand lines) at which the factor falls to 1/e.
K_MAJOR = 10.0
K_MINOR = 20.0
MINOR_MAX = 0.5  # low and info notices alone never take more than half of a score
# Confirmed vulnerabilities (high severity, stated with high confidence, of a weakness through
# which outside input takes control: injection, path traversal, unsafe deserialization, SSRF, in
# production code) do not become acceptable in a larger code base: they cap the domain whatever
# the density. A weak primitive (an MD5 call) depends on its use, and stays with the density.
INPUT_CONTROL_CWES = frozenset(
    {
        "CWE-22",  # path traversal
        "CWE-23",
        "CWE-73",
        "CWE-77",  # command injection
        "CWE-78",
        "CWE-79",  # cross-site scripting
        "CWE-89",  # SQL injection
        "CWE-90",  # LDAP injection
        "CWE-91",  # XML injection
        "CWE-94",  # code injection
        "CWE-95",
        "CWE-502",  # deserialization of untrusted data
        "CWE-611",  # XML external entities
        "CWE-643",  # XPath injection
        "CWE-917",  # expression language injection
        "CWE-918",  # server-side request forgery
        "CWE-943",  # NoSQL injection
        "CWE-1336",  # template injection
    }
)


def confidence_weight(confidence: str) -> float:
    return CONFIDENCE_WEIGHT.get(confidence.strip().lower(), UNKNOWN_CONFIDENCE_WEIGHT)


def finding_points(severity: int, confidence: str = "", kind: str = PRODUCTION) -> float:
    if kind != PRODUCTION and severity < NON_PRODUCTION_MIN_SEVERITY:
        return 0.0  # an assert in a test or a weak hash in an example is not a risk of the product
    return SEVERITY_POINTS.get(severity, 0.0) * confidence_weight(confidence) * KIND_WEIGHT.get(kind, 1.0)


@dataclass
class Points:
    major: float = 0.0
    minor: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)
    production_by_severity: dict[int, int] = field(default_factory=dict)
    production_critical: int = 0
    production_confirmed_high: int = 0  # high severity, stated with high confidence


def count_points(groups: Iterable[FindingGroup]) -> Points:
    points = Points()
    for group in groups:
        if group.count <= 0:
            continue
        value = finding_points(group.severity, group.confidence, group.kind) * group.count
        if group.severity in MINOR_SEVERITIES:
            points.minor += value
        else:
            points.major += value
        points.by_kind[group.kind] = points.by_kind.get(group.kind, 0) + group.count
        if group.kind == PRODUCTION:
            points.production_by_severity[group.severity] = (
                points.production_by_severity.get(group.severity, 0) + group.count
            )
            if group.severity >= 4:
                points.production_critical += group.count
            elif (
                group.severity == 3
                and confidence_weight(group.confidence) >= 1.0
                and group.cwe.upper() in INPUT_CONTROL_CWES
            ):
                points.production_confirmed_high += group.count
    return points


SEVERITY_NAMES = {0: "info", 1: "low", 2: "medium", 3: "high", 4: "critical"}


def findings_factor(major_density: float, minor_density: float) -> float:
    major = math.exp(-major_density / K_MAJOR)
    minor = 1.0 - MINOR_MAX * (1.0 - math.exp(-minor_density / K_MINOR))
    return major * minor
