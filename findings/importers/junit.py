"""JUnit XML (pytest --junitxml and <testsuites>/<testsuite> variants): test counts, failures."""

from __future__ import annotations

from findings.importers.base import MAX_SECONDS, ParsedScan, ScanFinding, as_float, as_int, expect
from findings.models import Severity

TOOL = "junit"


def looks_like(root) -> bool:
    return root.tag in ("testsuites", "testsuite")


def _suites(root):
    if root.tag == "testsuite":
        yield root
    # Nested suites (some runners) and the usual <testsuites><testsuite> layout alike.
    yield from (suite for suite in root.iter("testsuite") if suite is not root)


def parse(root) -> ParsedScan:
    expect(
        looks_like(root),
        f"not a JUnit report (root element <{root.tag}>, expected <testsuites> or <testsuite>)",
    )
    report = ParsedScan(format="junit", tool=TOOL, tools={TOOL})
    passed = failed = errors = skipped = 0
    suite_time = 0.0
    case_time = 0.0
    has_suite_time = False
    for suite_index, suite in enumerate(_suites(root)):
        where_suite = f"<testsuite> #{suite_index + 1} ({suite.get('name', '')})"
        time = as_float(suite.get("time"), f"{where_suite} time", maximum=MAX_SECONDS)
        if time is not None and not any(True for _ in suite.iter("testsuite") if _ is not suite):
            suite_time += time
            has_suite_time = True
        for case_index, case in enumerate(suite.findall("testcase")):
            where = f"{where_suite} <testcase> #{case_index + 1}"
            name = case.get("name") or ""
            expect(bool(name), "testcase has no name", where)
            classname = case.get("classname") or suite.get("name") or ""
            case_time += as_float(case.get("time"), f"{where} time", default=0.0, maximum=MAX_SECONDS)
            failure = case.find("failure")
            error = case.find("error")
            if case.find("skipped") is not None:
                skipped += 1
            elif failure is None and error is None:
                passed += 1
            else:
                problem = failure if failure is not None else error
                if failure is not None:
                    failed += 1
                else:
                    errors += 1
                test_id = f"{classname}::{name}" if classname else name
                message = (problem.get("message") or "").strip()
                first = message.splitlines()[0] if message else ""
                kind = "failed" if failure is not None else "error"
                file_path = case.get("file") or (classname.replace(".", "/") + ".py" if classname else "")
                report.findings.append(
                    ScanFinding(
                        tool=TOOL,
                        rule_id=f"test-{kind}",
                        title=f"Test {kind}: {test_id}"[:500],
                        severity=Severity.MEDIUM if failure is not None else Severity.HIGH,
                        domain_slug="testing",
                        file_path=file_path,
                        line=as_int(case.get("line"), f"{where} line"),
                        # The test's identity is its name: that is what stays stable across runs.
                        snippet=test_id,
                        description="\n\n".join(x for x in (first, (problem.text or "").strip()) if x),
                    )
                )
    report.metrics = {
        "tests_passed": passed,
        "tests_failed": failed,
        "tests_errors": errors,
        "tests_skipped": skipped,
        "tests_duration_seconds": round(suite_time if has_suite_time else case_time, 3),
    }
    return report
