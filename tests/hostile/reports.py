"""Hostile scanner reports, written here: each one is what a broken or malicious tool could send."""

from __future__ import annotations

import json


def bandit(result: dict | None = None, totals: dict | None = None, **top) -> bytes:
    base = {
        "test_id": "B105",
        "test_name": "hardcoded_password_string",
        "filename": "app/settings.py",
        "issue_severity": "LOW",
        "issue_confidence": "MEDIUM",
        "issue_text": "Possible hardcoded password",
        "line_number": 3,
        "code": "3 PASSWORD = 'x'\n",
    }
    doc = {"results": [{**base, **(result or {})}], "metrics": {"_totals": totals or {"loc": 10}}, **top}
    return json.dumps(doc).encode()


def sarif(results: list[dict], tool: str = "semgrep", **run) -> bytes:
    doc = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": tool}}, "results": results, **run}]}
    return json.dumps(doc).encode()


def sarif_result(line=1, message: str = "Hard-coded secret", **extra) -> dict:
    return {
        "ruleId": "generic.secrets.hardcoded",
        "level": "error",
        "message": {"text": message},
        "locations": [
            {"physicalLocation": {"artifactLocation": {"uri": "src/app.py"}, "region": {"startLine": line}}}
        ],
        **extra,
    }


def raw_json_escapes(content: bytes) -> bytes:
    """json.dumps writes "\\\\u0000" for a backslash: turn those back into real JSON escapes."""
    return content.replace(b"\\\\u", b"\\u")


# (id, report bytes, a fragment of the refusal message) for reports that must be refused whole.
REFUSED = [
    ("bandit-line-2^31", bandit({"line_number": 2**31}), "out of range"),
    ("bandit-line-text-2^63", bandit({"line_number": str(2**63)}), "out of range"),
    ("bandit-negative-line", bandit({"line_number": -7}), "non-negative"),
    ("bandit-loc-1e300", bandit(totals={"loc": 1e300}), "out of range"),
    ("bandit-count-5000-digits-text", bandit(totals={"SEVERITY.HIGH": "9" * 5000}), "out of range"),
    ("json-integer-5000-digits", bandit().replace(b'"loc": 10', b'"loc": ' + b"7" * 5000), "too long"),
    ("json-NaN", bandit().replace(b'"loc": 10', b'"loc": NaN'), "NaN"),
    ("json-Infinity", bandit().replace(b'"loc": 10', b'"loc": Infinity'), "Infinity"),
    ("json-line-1e400", bandit().replace(b'"line_number": 3', b'"line_number": 1e400'), "out of range"),
    ("sarif-line-2^31", sarif([sarif_result(line=2**31)]), "out of range"),
    ("sarif-line-huge-float", sarif([sarif_result(line=1e300)]), "out of range"),
    ("sarif-severity-nan-text", sarif([sarif_result(properties={"security-severity": "NaN"})]), "finite"),
    (
        "junit-time-1e300",
        b'<testsuite name="s" time="1e300"><testcase name="t"/></testsuite>',
        "out of range",
    ),
    (
        "junit-line-2^31",
        b'<testsuite name="s"><testcase name="t" line="2147483648"><failure/></testcase></testsuite>',
        "out of range",
    ),
    ("junit-time-nan", b'<testsuite name="s"><testcase name="t" time="nan"/></testsuite>', "finite"),
    ("cobertura-lines-valid-huge", b'<coverage line-rate="0.5" lines-valid="99999999999"/>', "out of range"),
    ("cobertura-rate-infinity", b'<coverage line-rate="Infinity"/>', "finite"),
    (
        "xml-nul-character-reference",
        b'<testsuite name="&#0;"><testcase name="t"/></testsuite>',
        "invalid XML",
    ),
    ("json-nested-100000", b"[" * 100_000 + b"]" * 100_000, "JSON"),
    ("not-utf8", b'{"results": [], "metrics": {"n": "\xe9"}}', "not UTF-8"),
]

# (id, report bytes) for reports that must be imported, their text made storable.
ACCEPTED = [
    (
        "sarif-nul-and-surrogates-everywhere",
        raw_json_escapes(
            sarif(
                [
                    sarif_result(message="secret\\u0000 here \\ud800 and \\u0007bell"),
                    {
                        **sarif_result(),
                        "ruleId": "rule\\u0000two",
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/a%00b%ED.py"}}}],
                    },
                ],
                tool="evil\\u0000scanner\\udfff",
            )
        ),
    ),
    (
        "bandit-nul-in-every-string",
        raw_json_escapes(
            bandit(
                {
                    "issue_text": "pass\\u0000word \\ud83d",
                    "filename": "app/\\u0000x.py",
                    "test_name": "n\\u0001ame",
                    "code": "3 x = '\\u0000'\n",
                }
            )
        ),
    ),
    (
        "sarif-no-physical-location",
        sarif(
            [
                {
                    "ruleId": "CIS-DI-0001",
                    "level": "warning",
                    "message": {"text": "Last user should not be root"},
                },
                {
                    "ruleId": "DKL-DI-0005",
                    "level": "note",
                    "message": {"text": "Clear apt caches"},
                    "locations": [{"logicalLocations": [{"fullyQualifiedName": "image/layer-3"}]}],
                },
            ],
            tool="dockle",
        ),
    ),
    (
        "sarif-word-security-severity",
        sarif(
            [
                sarif_result(properties={"security-severity": "MEDIUM"}),
                sarif_result(line=9, properties={"security-severity": "high"}),
            ]
        ),
    ),
    ("bandit-utf16-with-bom", bandit().decode().encode("utf-16")),
]
