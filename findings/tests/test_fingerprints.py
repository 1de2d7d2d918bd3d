"""Fingerprints: stable when code moves or wording changes, distinct for distinct results."""

import json

from findings.fingerprints import assign_fingerprints, normalise_path
from findings.importers import ScanFinding, parse_scan
from findings.tests.helpers import fixture


def _finding(**kwargs):
    defaults = {
        "tool": "bandit",
        "rule_id": "B307",
        "title": "eval",
        "severity": 2,
        "domain_slug": "security",
        "file_path": "app.py",
        "line": 10,
        "snippet": "x = eval(expr)",
    }
    return ScanFinding(**{**defaults, **kwargs})


def _prints(name):
    report = parse_scan(fixture(name))
    assign_fingerprints(report.findings)
    return {(f.rule_id, f.line): f.fingerprint for f in report.findings}


def test_code_moved_down_keeps_the_fingerprint_of_every_unchanged_bandit_result():
    v1, v2 = _prints("bandit_v1.json"), _prints("bandit_v2.json")
    # In v2 everything in app.py moved down; B324 (md5) was fixed and B102 (exec) is new.
    assert v1[("B602", 12)] == v2[("B602", 15)]
    assert v1[("B307", 24)] == v2[("B307", 27)]
    assert v1[("B307", 25)] == v2[("B307", 28)]
    assert set(v1.values()) - set(v2.values()) == {v1[("B324", 20)]}
    assert set(v2.values()) - set(v1.values()) == {v2[("B102", 33)]}


def test_line_number_alone_does_not_change_the_fingerprint():
    a, b = _finding(line=10), _finding(line=250)
    assign_fingerprints([a])
    assign_fingerprints([b])
    assert a.fingerprint == b.fingerprint
    assert len(a.fingerprint) == 64


def test_message_wording_and_indentation_do_not_change_the_fingerprint():
    a = _finding(title="Use of eval", description="eval is dangerous", snippet="x = eval(expr)")
    b = _finding(
        title="Use of possibly insecure eval()",
        description="Reworded.",
        snippet="        x  =  eval(expr)   ",
    )
    assign_fingerprints([a])
    assign_fingerprints([b])
    assert a.fingerprint == b.fingerprint


def test_identical_code_twice_in_one_file_gives_two_fingerprints_by_order_of_occurrence():
    first, second = _finding(line=24), _finding(line=25)
    assign_fingerprints([second, first])  # report order does not matter, file order does
    assert first.fingerprint != second.fingerprint
    moved_first, moved_second = _finding(line=40), _finding(line=41)
    assign_fingerprints([moved_first, moved_second])
    assert (moved_first.fingerprint, moved_second.fingerprint) == (first.fingerprint, second.fingerprint)


def test_tool_rule_path_and_code_each_change_the_fingerprint():
    base = _finding()
    others = [
        _finding(tool="semgrep"),
        _finding(rule_id="B102"),
        _finding(file_path="other.py"),
        _finding(snippet="y = eval(expr)"),
    ]
    for finding in [base, *others]:
        assign_fingerprints([finding])
    assert len({f.fingerprint for f in [base, *others]}) == 5


def test_the_tools_own_fingerprint_is_used_when_given():
    a = _finding(tool_fingerprint="primaryLocationLineHash=abc:1", snippet="old code")
    b = _finding(tool_fingerprint="primaryLocationLineHash=abc:1", snippet="new code", line=99)
    c = _finding(tool_fingerprint="primaryLocationLineHash=def:1", snippet="old code")
    for finding in (a, b, c):
        assign_fingerprints([finding])
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_two_results_with_different_tool_fingerprints_on_the_same_code_stay_two():
    a = _finding(tool_fingerprint="h=1")
    b = _finding(tool_fingerprint="h=2")
    assign_fingerprints([a, b])
    assert a.fingerprint != b.fingerprint


def test_paths_are_normalised_and_absolute_checkouts_become_relative():
    assert normalise_path(".\\src\\app.py") == "src/app.py"
    assert normalise_path("./src/../src/app.py") == "src/app.py"
    first = [
        _finding(file_path="/checkouts/run-1/src/app.py"),
        _finding(file_path="/checkouts/run-1/lib/util.py", snippet="other"),
    ]
    second = [
        _finding(file_path="/elsewhere/run-2/src/app.py"),
        _finding(file_path="/elsewhere/run-2/lib/util.py", snippet="other"),
    ]
    assign_fingerprints(first)
    assign_fingerprints(second)
    assert [f.file_path for f in first] == ["src/app.py", "lib/util.py"]
    assert [f.fingerprint for f in first] == [f.fingerprint for f in second]


def test_bandit_and_ruff_results_on_the_same_line_are_different_findings():
    bandit = parse_scan(fixture("bandit_v1.json")).findings
    ruff = parse_scan(fixture("ruff_v1.sarif")).findings
    prints = {f.fingerprint for f in assign_fingerprints(bandit + ruff)}
    assert (
        len(prints)
        == len(bandit) + len(ruff)
        == len(json.loads(fixture("bandit_v1.json"))["results"]) + len(ruff)
    )
