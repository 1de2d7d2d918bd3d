"""Fuzz: random and mutated documents either parse or raise ScanFormatError, never anything else."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from findings.fingerprints import assign_fingerprints
from findings.importers import FORMATS, ScanFormatError, parse_scan
from findings.tests.helpers import fixture

FIXTURES = {name: fixture(name) for name in ("bandit_v1.json", "ruff_v1.sarif", "coverage.xml", "junit.xml")}
FORMAT_OR_AUTO = st.sampled_from(("auto", *FORMATS))
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def parses_or_report_error(content: bytes, format: str = "auto") -> None:
    try:
        report = parse_scan(content, file_name="fuzz", format=format)
    except ScanFormatError as error:
        assert str(error).startswith("fuzz:")
        return
    assign_fingerprints(report.findings)
    assert all(len(f.fingerprint) == 64 for f in report.findings)


@FUZZ
@given(st.binary(max_size=3000), FORMAT_OR_AUTO)
def test_random_bytes(content, format):
    parses_or_report_error(content, format)


@FUZZ
@given(json_values, FORMAT_OR_AUTO)
def test_random_json_documents(value, format):
    parses_or_report_error(json.dumps(value).encode(), format)


def _replace_somewhere(doc, data):
    """Walk down the real report to a random node and replace it with a random value."""
    node = doc
    for _ in range(data.draw(st.integers(0, 8))):
        children = (
            list(node.items())
            if isinstance(node, dict)
            else list(enumerate(node))
            if isinstance(node, list)
            else []
        )
        children = [(k, v) for k, v in children if isinstance(v, dict | list)]
        if not children:
            break
        key, child = data.draw(st.sampled_from(children))
        if data.draw(st.booleans()):
            node[key] = data.draw(json_values)
            return
        node = child
    if isinstance(node, dict) and node:
        node[data.draw(st.sampled_from(sorted(node)))] = data.draw(json_values)
    elif isinstance(node, list) and node:
        node[data.draw(st.integers(0, len(node) - 1))] = data.draw(json_values)


@FUZZ
@given(st.sampled_from(["bandit_v1.json", "ruff_v1.sarif"]), st.data())
def test_mutated_json_reports(name, data):
    doc = json.loads(FIXTURES[name])
    for _ in range(data.draw(st.integers(1, 4))):
        _replace_somewhere(doc, data)
    parses_or_report_error(json.dumps(doc).encode(), data.draw(FORMAT_OR_AUTO))


@FUZZ
@given(st.sampled_from(sorted(FIXTURES)), st.data())
def test_byte_mutated_reports(name, data):
    content = bytearray(FIXTURES[name])
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, len(content) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        if action == "flip":
            content[position] = data.draw(st.integers(0, 255))
        elif action == "delete":
            del content[position : position + data.draw(st.integers(1, 50))]
        elif action == "insert":
            content[position:position] = data.draw(st.binary(min_size=1, max_size=20))
        else:
            del content[position:]
        if not content:
            break
    parses_or_report_error(bytes(content), data.draw(FORMAT_OR_AUTO))


xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12).map(
    lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
)


@FUZZ
@given(
    st.lists(st.tuples(xml_text, xml_text, st.sampled_from(["", "failure", "error", "skipped"])), max_size=5),
    xml_text,
    xml_text,
    st.booleans(),
)
def test_generated_junit_and_cobertura_documents(cases, rate, time, single_suite):
    body = "".join(
        f'<testcase classname="c" name="{name}" time="{t}">'
        + (f'<{kind} message="m"/>' if kind else "")
        + "</testcase>"
        for name, t, kind in cases
    )
    suite = f'<testsuite name="s" time="{time}">{body}</testsuite>'
    parses_or_report_error((suite if single_suite else f"<testsuites>{suite}</testsuites>").encode())
    parses_or_report_error(f'<coverage line-rate="{rate}" branch-rate="{time}" branches-valid="1"/>'.encode())
