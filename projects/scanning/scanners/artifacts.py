"""CI artifacts committed or left in the repository: Cobertura coverage and JUnit test results.

Only files at the configured paths (setting SCAN_ARTIFACT_PATHS) are read; XML is parsed with
defusedxml. The tests themselves are never run.
"""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from defusedxml import ElementTree
from django.conf import settings

from projects.scanning.scanners.base import NormalisedFinding, RunLimits, Scanner, ScannerError, ScannerOutput

MAX_ARTIFACT_BYTES = 20 * 1024 * 1024


class ArtifactsScanner(Scanner):
    name = "artifacts"
    tool = "junit"
    domain = "testing"

    def run(self, workspace: Path, limits: RunLimits, home: str) -> ScannerOutput:
        started = time.monotonic()
        metrics: dict = {"artifacts": []}
        findings: list[NormalisedFinding] = []
        root = workspace.resolve()
        for rel in getattr(settings, "SCAN_ARTIFACT_PATHS", []):
            path = (workspace / rel)
            try:
                resolved = path.resolve()
                resolved.relative_to(root)  # no symlink out of the checkout
            except (OSError, ValueError):
                continue
            if not resolved.is_file() or resolved.stat().st_size > MAX_ARTIFACT_BYTES:
                continue
            try:
                tree = ElementTree.parse(str(resolved))
            except Exception as exc:  # noqa: BLE001 - any XML problem is reported, not raised
                raise ScannerError(f"artifacts: {rel} is not valid XML ({exc})") from exc
            element = tree.getroot()
            if element.tag == "coverage":
                _read_cobertura(element, metrics)
                metrics["artifacts"].append({"path": rel, "kind": "cobertura"})
            elif element.tag in ("testsuites", "testsuite"):
                _read_junit(element, metrics, findings, rel)
                metrics["artifacts"].append({"path": rel, "kind": "junit"})
        return ScannerOutput(scanner=self.name, tool=self.tool, findings=findings, metrics=metrics,
                             duration_s=time.monotonic() - started)


def _percent(value: str | None) -> Decimal | None:
    try:
        rate = Decimal(value or "")
    except InvalidOperation:
        return None
    if not (0 <= rate <= 1):
        return None
    return (rate * 100).quantize(Decimal("0.01"))


def _read_cobertura(element, metrics: dict) -> None:
    line = _percent(element.get("line-rate"))
    branch = _percent(element.get("branch-rate"))
    if line is not None:
        metrics["coverage_percent"] = str(line)
    if branch is not None and element.get("branches-valid") not in (None, "0"):
        metrics["branch_coverage_percent"] = str(branch)


def _read_junit(element, metrics: dict, findings: list, rel: str) -> None:
    suites = [element] if element.tag == "testsuite" else element.findall(".//testsuite")
    passed = failed = errors = skipped = 0
    duration = 0.0
    for suite in suites:
        for case in suite.findall("testcase"):
            if case.find("failure") is not None:
                failed += 1
                outcome = "failed"
            elif case.find("error") is not None:
                errors += 1
                outcome = "error"
            elif case.find("skipped") is not None:
                skipped += 1
                continue
            else:
                passed += 1
                continue
            name = f"{case.get('classname', '')}.{case.get('name', '')}".strip(".")
            findings.append(NormalisedFinding(
                rule_id=f"test-{outcome}", title=f"Test {outcome}: {name}"[:400], severity="medium",
                file_path=rel, description=f"{name} {outcome} in the CI test results ({rel}).",
            ))
        try:
            duration += float(suite.get("time") or 0)
        except ValueError:
            pass
    for key, value in (("tests_passed", passed), ("tests_failed", failed), ("tests_errors", errors),
                       ("tests_skipped", skipped)):
        metrics[key] = metrics.get(key, 0) + value
    metrics["tests_duration_seconds"] = metrics.get("tests_duration_seconds", 0.0) + duration
