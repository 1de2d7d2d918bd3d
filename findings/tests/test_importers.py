"""Parsers: real reports from bandit, ruff (SARIF), coverage and pytest, and SARIF features."""

import json
from decimal import Decimal

import pytest

from findings.importers import ScanFormatError, parse_scan
from findings.models import Severity
from findings.tests.helpers import fixture, ruff_sarif, sarif_bytes, sarif_variant


def test_bandit_report_gives_one_security_finding_per_result_with_metrics():
    report = parse_scan(fixture("bandit_v1.json"), file_name="bandit_v1.json")
    doc = json.loads(fixture("bandit_v1.json"))
    assert report.format == "bandit"
    assert report.tools == {"bandit"}
    assert len(report.findings) == len(doc["results"]) == 10
    shell = next(f for f in report.findings if f.rule_id == "B602")
    assert shell.severity == Severity.HIGH
    assert shell.confidence == "high"
    assert shell.cwe == "CWE-78"
    assert shell.domain_slug == "security"
    assert shell.file_path == "./app.py"
    assert shell.line == 12
    assert shell.snippet.strip() == "return subprocess.call(command, shell=True)"
    totals = doc["metrics"]["_totals"]
    assert report.metrics == {
        "lines_of_code": totals["loc"],
        "security_high": totals["SEVERITY.HIGH"],
        "security_medium": totals["SEVERITY.MEDIUM"],
        "security_low": totals["SEVERITY.LOW"],
        "files_count": 2,
    }


def test_sarif_report_from_ruff_maps_rules_levels_and_relative_paths():
    report = parse_scan(fixture("ruff_v1.sarif"))
    assert report.format == "sarif"
    assert report.tool == "ruff"
    assert report.tools == {"ruff"}
    rules = [f.rule_id for f in report.findings]
    assert "S602" in rules and "E501" in rules
    shell = next(f for f in report.findings if f.rule_id == "S602")
    # ruff reports level "error"; its flake8-bandit rules are security findings.
    assert shell.severity == Severity.HIGH
    assert shell.domain_slug == "security"
    assert shell.file_path == "/scratch/v1/app.py"
    assert shell.line == 12
    assert next(f for f in report.findings if f.rule_id == "E501").domain_slug == "code-quality"


def test_sarif_security_severity_wins_over_level_in_cvss_bands():
    def mutate(doc):
        results = doc["runs"][0]["results"]
        results[0]["properties"] = {"security-severity": "9.8"}
        results[1]["properties"] = {"security-severity": "7.5"}
        results[2]["properties"] = {"security-severity": "4.0"}
        results[3]["properties"] = {"security-severity": "0.5"}
        results[4]["properties"] = {"security-severity": "0"}

    report = parse_scan(sarif_variant(mutate))
    assert [f.severity for f in report.findings[:5]] == [
        Severity.CRITICAL,
        Severity.HIGH,
        Severity.MEDIUM,
        Severity.LOW,
        Severity.INFO,
    ]
    assert report.findings[0].domain_slug == "security"


def test_sarif_level_falls_back_to_the_rule_default_configuration():
    def mutate(doc):
        run = doc["runs"][0]
        for result in run["results"]:
            result.pop("level", None)
        for rule in run["tool"]["driver"]["rules"]:
            rule.pop("defaultConfiguration", None)
        rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "E501")
        rule["defaultConfiguration"] = {"level": "note"}

    report = parse_scan(sarif_variant(mutate))
    by_rule = {f.rule_id: f.severity for f in report.findings}
    assert by_rule["E501"] == Severity.LOW
    # No level anywhere: SARIF's default is "warning".
    assert by_rule["S602"] == Severity.MEDIUM


def test_sarif_uri_relative_to_original_uri_base_ids_and_tool_fingerprints():
    def mutate(doc):
        run = doc["runs"][0]
        run["originalUriBaseIds"] = {"SRCROOT": {"uri": "file:///scratch/v1/"}}
        first = run["results"][0]["locations"][0]["physicalLocation"]
        first["artifactLocation"] = {"uri": "src/app.py", "uriBaseId": "SRCROOT"}
        run["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"].pop("uriBaseId", None)
        run["results"][0]["partialFingerprints"] = {"primaryLocationLineHash": "abc:1"}

    report = parse_scan(sarif_variant(mutate))
    assert report.findings[0].file_path == "src/app.py"
    assert report.findings[0].tool_fingerprint == "primaryLocationLineHash=abc:1"
    # An absolute file URI under a base id becomes relative to it.
    assert report.findings[1].file_path == "app.py"


def test_sarif_accepted_suppression_is_marked_and_rejected_is_not():
    def mutate(doc):
        results = doc["runs"][0]["results"]
        results[0]["suppressions"] = [{"kind": "inSource", "status": "accepted"}]
        results[1]["suppressions"] = [{"kind": "external", "status": "rejected"}]
        results[2]["suppressions"] = [{"kind": "inSource"}]

    report = parse_scan(sarif_variant(mutate))
    assert [f.suppressed for f in report.findings[:4]] == [True, False, True, False]


def test_sarif_every_run_is_imported_with_its_own_tool_and_extension_rules():
    def mutate(doc):
        second = json.loads(json.dumps(doc["runs"][0]))
        second["tool"] = {
            "driver": {"name": "CodeQL", "rules": []},
            "extensions": [
                {
                    "name": "python-queries",
                    "rules": [
                        {
                            "id": "py/sql-injection",
                            "properties": {
                                "security-severity": "8.8",
                                "tags": ["security", "external/cwe/cwe-089"],
                            },
                        }
                    ],
                }
            ],
        }
        second["results"] = [
            {
                "ruleId": "py/sql-injection",
                "rule": {"id": "py/sql-injection", "index": 0, "toolComponent": {"index": 0}},
                "message": {"text": "This query depends on a user-provided value."},
                "locations": [
                    {"physicalLocation": {"artifactLocation": {"uri": "db.py"}, "region": {"startLine": 3}}}
                ],
            }
        ]
        doc["runs"].append(second)

    report = parse_scan(sarif_variant(mutate))
    assert report.tools == {"ruff", "codeql"}
    codeql = [f for f in report.findings if f.tool == "codeql"]
    assert len(codeql) == 1
    assert codeql[0].severity == Severity.HIGH
    assert codeql[0].cwe == "CWE-89"
    assert codeql[0].domain_slug == "security"


def test_cobertura_report_gives_line_and_branch_coverage():
    report = parse_scan(fixture("coverage.xml"))
    assert report.format == "cobertura"
    assert report.findings == []
    assert report.tools == set()
    assert report.metrics["coverage_percent"] == Decimal("70.00")
    assert report.metrics["branch_coverage_percent"] == Decimal("50.00")


def test_junit_report_from_pytest_counts_outcomes_and_turns_failures_into_testing_findings():
    report = parse_scan(fixture("junit.xml"))
    assert report.format == "junit"
    assert report.metrics["tests_passed"] == 2
    assert report.metrics["tests_failed"] == 1
    assert report.metrics["tests_errors"] == 1
    assert report.metrics["tests_skipped"] == 1
    assert report.metrics["tests_duration_seconds"] > 0
    titles = sorted(f.title for f in report.findings)
    assert titles == [
        "Test error: calc_checks::test_with_broken_fixture",
        "Test failed: calc_checks::test_divide_by_zero_fails",
    ]
    assert {f.domain_slug for f in report.findings} == {"testing"}


def test_junit_with_a_single_testsuite_root_is_understood():
    xml = (
        b'<testsuite name="unit" tests="2" failures="1" time="1.5">'
        b'<testcase classname="a.B" name="ok" time="0.5"/>'
        b'<testcase classname="a.B" name="bad" time="1.0"><failure message="boom"/></testcase>'
        b"</testsuite>"
    )
    report = parse_scan(xml)
    assert report.metrics["tests_passed"] == 1
    assert report.metrics["tests_failed"] == 1
    assert report.metrics["tests_duration_seconds"] == 1.5
    assert report.findings[0].file_path == "a/B.py"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("bandit_v1.json", "bandit"),
        ("ruff_v1.sarif", "sarif"),
        ("coverage.xml", "cobertura"),
        ("junit.xml", "junit"),
    ],
)
def test_format_is_detected_from_content_whatever_the_file_name(name, expected):
    assert parse_scan(fixture(name), file_name="report.txt").format == expected


def test_an_explicit_format_that_does_not_match_the_content_is_refused():
    with pytest.raises(ScanFormatError, match="expected cobertura XML, but the file is JSON"):
        parse_scan(fixture("bandit_v1.json"), format="cobertura")
    with pytest.raises(ScanFormatError, match="not a SARIF log|unsupported SARIF version"):
        parse_scan(fixture("bandit_v1.json"), format="sarif")
    with pytest.raises(ScanFormatError, match="not a JUnit report"):
        parse_scan(fixture("coverage.xml"), format="junit")


def _no_runs(doc):
    doc["runs"] = []


def _no_location(doc):
    doc["runs"][0]["results"][2].pop("locations")


BAD_INPUTS = [
    ("empty", b"", "the file is empty"),
    ("blank", b"  \n", "the file is empty"),
    ("truncated json", fixture("bandit_v1.json")[:300], "invalid JSON"),
    ("truncated xml", fixture("junit.xml")[:200], "invalid XML"),
    (
        "unknown xml encoding",
        b'<?xml version="1.0" encoding="atf-8"?><testsuites name="t"/>',
        "the declared encoding 'atf-8' is unknown",
    ),
    ("not utf-8", '{"résumé": 1}'.encode("latin-1"), "not UTF-8"),
    ("plain text", b"hello world", "not a JSON or XML document"),
    ("other json", b'{"name": "package.json"}', "neither a Bandit report"),
    ("other xml", b"<html><body/></html>", "neither Cobertura"),
    ("sarif without runs", None, "has no runs"),
    ("sarif 1.0", b'{"version": "1.0.0", "runs": []}', "unsupported SARIF version"),
    (
        "external entity",
        b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<coverage line-rate="&x;"/>',
        "DTD or entities",
    ),
    (
        "billion laughs",
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<testsuites name="&b;"/>',
        "DTD or entities",
    ),
    (
        "bad severity",
        b'{"results": [{"test_id": "B1", "filename": "a.py", "issue_severity": "EXTREME"}], "metrics": {}}',
        "unknown issue_severity",
    ),
]


@pytest.mark.parametrize("label, content, message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_raises_a_report_error_naming_the_file_and_the_problem(label, content, message):
    if label == "sarif without runs":
        content = sarif_variant(_no_runs)
    with pytest.raises(ScanFormatError) as error:
        parse_scan(content, file_name="scan.out")
    assert str(error.value).startswith("scan.out:")
    assert message in str(error.value)


def test_the_position_of_a_json_error_is_given():
    with pytest.raises(ScanFormatError, match=r"line 2, column \d+"):
        parse_scan(b'{"runs":\n [}')


def test_a_sarif_result_without_location_belongs_to_the_project_and_keeps_its_message():
    doc = ruff_sarif()
    expected = doc["runs"][0]["results"][2]["message"]["text"]
    report = parse_scan(sarif_variant(_no_location))
    finding = report.findings[2]
    assert (finding.file_path, finding.line) == ("", None)
    # Identity without a source line: the message, so a re-import finds the same finding.
    assert finding.snippet == expected
    assert len(report.findings) == len(doc["runs"][0]["results"])


def _container_scan(results: list[dict], **run) -> bytes:
    """A SARIF log shaped like a container scanner's (dockle): results without physicalLocation."""
    return sarif_bytes(
        {
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "dockle",
                            "rules": [{"id": "CIS-DI-0001"}, {"id": "DKL-DI-0005"}],
                        }
                    },
                    "results": results,
                    **run,
                }
            ],
        }
    )


def test_sarif_results_without_physical_location_use_logical_or_artifact_location_or_none():
    content = _container_scan(
        [
            {
                "ruleId": "CIS-DI-0001",
                "level": "warning",
                "message": {"text": "Last user should not be root"},
            },
            {
                "ruleId": "DKL-DI-0005",
                "level": "error",
                "message": {"text": "Clear apt-get caches"},
                "locations": [{"logicalLocations": [{"fullyQualifiedName": "image:app/layer 3"}]}],
            },
            {
                "ruleId": "DKL-DI-0005",
                "level": "error",
                "message": {"text": "Clear apt-get caches"},
                "locations": [{"logicalLocations": [{"index": 0}]}],
            },
            {
                "ruleId": "CIS-DI-0001",
                "level": "note",
                "message": {"text": "Use a HEALTHCHECK"},
                "locations": [{"physicalLocation": {"address": {"absoluteAddress": 4096}}}],
                "analysisTarget": {"uri": "Dockerfile"},
            },
        ],
        logicalLocations=[{"name": "base-layer", "kind": "module"}],
    )
    report = parse_scan(content, file_name="dockle.sarif")
    assert [(f.file_path, f.line) for f in report.findings] == [
        ("", None),
        ("image:app/layer 3", None),
        ("base-layer", None),
        ("Dockerfile", None),
    ]
    assert [f.severity for f in report.findings] == [
        Severity.MEDIUM,
        Severity.HIGH,
        Severity.HIGH,
        Severity.LOW,
    ]
    assert report.tools == {"dockle"}


def test_location_less_results_keep_their_identity_across_imports():
    from findings.fingerprints import assign_fingerprints

    results = [
        {"ruleId": "CIS-DI-0001", "message": {"text": "Last user should not be root"}},
        {"ruleId": "CIS-DI-0001", "message": {"text": "Add a HEALTHCHECK instruction"}},
    ]
    first = assign_fingerprints(parse_scan(_container_scan(results)).findings)
    second = assign_fingerprints(parse_scan(_container_scan(results[::-1])).findings)
    assert len({f.fingerprint for f in first}) == 2
    assert {f.fingerprint for f in first} == {f.fingerprint for f in second}


@pytest.mark.parametrize(
    "value, level, expected",
    [
        ("MEDIUM", "error", Severity.MEDIUM),
        ("high", "note", Severity.HIGH),
        ("Critical", "note", Severity.CRITICAL),
        ("moderate", "note", Severity.MEDIUM),
        ("low", "error", Severity.LOW),
        ("unknown", "error", Severity.HIGH),  # not a severity: the level decides
        ("42", "note", Severity.LOW),  # not a CVSS score (0..10): the level decides
        ("-3", "warning", Severity.MEDIUM),
        ("8.1", "note", Severity.HIGH),
        (9.5, "note", Severity.CRITICAL),
    ],
    ids=["MEDIUM", "high", "Critical", "moderate", "low", "unknown", "42", "-3", "8.1", "9.5"],
)
def test_sarif_security_severity_as_a_word_is_mapped_else_the_level_decides(value, level, expected):
    content = _container_scan(
        [
            {
                "ruleId": "CIS-DI-0001",
                "level": level,
                "message": {"text": "m"},
                "properties": {"security-severity": value},
            }
        ]
    )
    assert parse_scan(content).findings[0].severity == expected


def _bandit(result: dict, totals: dict | None = None) -> bytes:
    base = {"test_id": "B101", "filename": "a.py", "issue_severity": "LOW", "line_number": 3}
    return json.dumps({"results": [{**base, **result}], "metrics": {"_totals": totals or {}}}).encode()


OUT_OF_RANGE = [
    ("bandit line 2^31", _bandit({"line_number": 2**31}), "out of range"),
    ("bandit line as text 2^40", _bandit({"line_number": str(2**40)}), "out of range"),
    ("bandit negative line", _bandit({"line_number": -5}), "non-negative"),
    ("bandit loc 1e300", _bandit({}, {"loc": 1e300}), "out of range"),
    ("bandit huge count text", _bandit({}, {"SEVERITY.HIGH": "9" * 5000}), "out of range"),
    ("json integer of 5000 digits", b'{"results": [], "metrics": {"n": ' + b"7" * 5000 + b"}}", "too long"),
    ("json NaN", b'{"results": [], "metrics": {"_totals": {"loc": NaN}}}', "NaN"),
    ("json Infinity", b'{"results": [], "metrics": {"_totals": {"loc": -Infinity}}}', "Infinity"),
    ("json 1e400", _bandit({}, {"loc": 1}).replace(b'"loc": 1', b'"loc": 1e400'), "out of range"),
    (
        "sarif line 2^31",
        sarif_variant(
            lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].update(
                startLine=2**31
            )
        ),
        "out of range",
    ),
    (
        "sarif security-severity NaN text",
        sarif_variant(lambda d: d["runs"][0]["results"][0].update(properties={"security-severity": "nan"})),
        "finite",
    ),
    (
        "junit time 1e300",
        b'<testsuite name="s" time="1e300"><testcase name="t"/></testsuite>',
        "out of range",
    ),
    (
        "junit line 2^31",
        b'<testsuite name="s"><testcase name="t" line="2147483648"><failure/></testcase></testsuite>',
        "out of range",
    ),
    ("cobertura lines-valid", b'<coverage line-rate="0.5" lines-valid="99999999999"/>', "out of range"),
    ("cobertura rate inf", b'<coverage line-rate="inf"/>', "finite"),
]


@pytest.mark.parametrize("label, content, message", OUT_OF_RANGE, ids=[c[0] for c in OUT_OF_RANGE])
def test_numbers_out_of_range_are_a_clear_report_error(label, content, message):
    with pytest.raises(ScanFormatError) as error:
        parse_scan(content, file_name="scan.out")
    text = str(error.value)
    assert text.startswith("scan.out:") and message in text
    assert len(text) < 300  # a huge number is never quoted whole


def test_control_characters_and_lone_surrogates_in_strings_are_cleaned():
    doc = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "evil\u0000tool\ud800"}},
                "results": [
                    {
                        "ruleId": "R\u00001",
                        "level": "error",
                        "message": {"text": "bad\u0007 \udfff text\u0000"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": "src/a%00b.py"},
                                    "region": {"startLine": 1},
                                }
                            }
                        ],
                    }
                ],
            }
        ],
    }
    text = json.dumps(doc).replace("\\\\u", "\\u")
    report = parse_scan(text.encode("utf-8"))
    finding = report.findings[0]
    assert report.tool == "eviltool\ufffd"
    assert report.tools == {"eviltool\ufffd"}
    assert finding.tool == "eviltool\ufffd"
    assert finding.rule_id == "R1"
    assert finding.description == "bad \ufffd text"
    assert finding.file_path == "src/ab.py"
    for value in (finding.title, finding.description, finding.snippet, finding.file_path):
        value.encode("utf-8")  # no lone surrogate left
        assert "\x00" not in value


def test_a_utf16_report_with_a_byte_order_mark_is_read():
    report = parse_scan(fixture("bandit_v1.json").decode().encode("utf-16"))
    assert len(report.findings) == 10


def test_sarif_round_trip_of_the_real_report_keeps_every_result():
    doc = ruff_sarif()
    assert len(parse_scan(sarif_bytes(doc)).findings) == len(doc["runs"][0]["results"])
