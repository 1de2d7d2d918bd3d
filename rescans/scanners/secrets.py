"""Committed secrets, found by their shape: fast enough for large repositories.

High-signal shapes only (cloud and service tokens with fixed prefixes, private key blocks,
credentials in connection URLs, and password-like assignments whose value is long, varied and
not a placeholder), read in one pass over the text files of the checkout. A secret in
production code or configuration is a high finding; the same in tests, fixtures, examples or
documentation is reported separately at low severity (those are usually fake, and fake keys in
tests must not sink Security). The secret itself is never stored: findings carry its type, its
place and a hash. A line marked `pragma: allowlist secret`, `nosec` or `gitleaks:allow` counts as
silenced by the team.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from findings.importers import ScanFinding
from rescans.inventory import walk
from rescans.scanners.base import RunLimits, ScannerError, ScannerOutput, scan_finding
from rescans.scanners.coverage import InventoryScanner
from scoring.evidence import PRODUCTION
from scoring.paths import classify_path

MAX_FILE_BYTES = 1024 * 1024
BINARY_SUFFIXES = frozenset(
    ".png .jpg .jpeg .gif .ico .webp .bmp .tiff .pdf .zip .gz .tgz .bz2 .xz .7z .jar .war .class .so .dll "
    ".dylib .exe .bin .woff .woff2 .ttf .otf .eot .mp3 .mp4 .mov .avi .wav .ogg .pyc .pyo .o .a .lock "
    ".min.js .map .svg .mo .po .sqlite .db".split()
)
ALLOW_RE = re.compile(r"pragma:\s*allowlist[ -]secret|\bnosec\b|gitleaks:allow|nosemgrep", re.I)


@dataclass(frozen=True)
class Shape:
    rule_id: str
    title: str
    pattern: re.Pattern[str]
    group: int = 0  # the secret part of the match
    severity: str = "high"
    min_entropy: float = 0.0
    # Substrings a match must contain: a file without any is skipped without running the
    # expression (a substring search is far faster than an expression tried at every position).
    hints: tuple[str, ...] = ()
    lower: bool = False  # look for the hints (and the anchors) in the lower-cased text
    # Substrings every match holds at most `before` characters after its start: the expression
    # is then tried only there instead of at every position of the file (the same matches as
    # `finditer`, about ten times faster on a large repository).
    anchors: tuple[str, ...] = ()
    before: int = 0


SHAPES = (
    Shape(
        "aws-access-key-id",
        "AWS access key ID",
        re.compile(r"\b((?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})\b"),
        1,
        hints=("AKIA", "ASIA", "ABIA", "ACCA"),
    ),
    Shape(
        "aws-secret-access-key",
        "AWS secret access key",
        re.compile(r"(?i)aws_?secret_?(?:access_?)?key\W{0,5}[=:]\s*['\"]?([A-Za-z0-9/+=]{40})\b"),
        1,
        min_entropy=3.5,
        hints=("aws_secret", "awssecret"),
        lower=True,
    ),
    Shape(
        "private-key",
        "Private key",
        re.compile(
            r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----"
            r"\s*([A-Za-z0-9+/=\s]{40,})"
        ),
        1,
        hints=("PRIVATE KEY",),
    ),
    Shape(
        "github-token",
        "GitHub token",
        re.compile(r"\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255})\b"),
        1,
        hints=("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    Shape(
        "github-fine-grained-token",
        "GitHub token",
        re.compile(r"\b(github_pat_[A-Za-z0-9_]{60,255})\b"),
        1,
        hints=("github_pat_",),
    ),
    Shape(
        "gitlab-token", "GitLab token", re.compile(r"\b(glpat-[A-Za-z0-9_-]{20,})\b"), 1, hints=("glpat-",)
    ),
    Shape(
        "slack-token", "Slack token", re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]{10,200})\b"), 1, hints=("xox",)
    ),
    Shape(
        "slack-webhook",
        "Slack webhook URL",
        re.compile(r"(https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]{16,})"),
        1,
        hints=("hooks.slack.com",),
    ),
    Shape(
        "stripe-secret-key",
        "Stripe secret key",
        re.compile(r"\b((?:sk|rk)_live_[0-9A-Za-z]{20,})\b"),
        1,
        hints=("_live_",),
    ),
    Shape("google-api-key", "Google API key", re.compile(r"\b(AIza[0-9A-Za-z_-]{35})\b"), 1, hints=("AIza",)),
    Shape(
        "sendgrid-api-key",
        "SendGrid API key",
        re.compile(r"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})\b"),
        1,
        hints=("SG.",),
    ),
    Shape("npm-token", "npm token", re.compile(r"\b(npm_[A-Za-z0-9]{36})\b"), 1, hints=("npm_",)),
    Shape(
        "pypi-token",
        "PyPI upload token",
        re.compile(r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})\b"),
        1,
        hints=("pypi-AgEIcHlwaS5vcmc",),
    ),
    Shape(
        "openai-api-key",
        "OpenAI API key",
        re.compile(r"\b(sk-(?:proj-)?[A-Za-z0-9_-]{20}T3BlbkFJ[A-Za-z0-9_-]{20,})\b"),
        1,
        hints=("T3BlbkFJ",),
    ),
    Shape(
        "url-credentials",
        "Password in a connection URL",
        re.compile(
            r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|ftp)://"
            r"[^\s:/@'\"]+:([^\s@/'\"]{6,})@[\w.-]+"
        ),
        1,
        min_entropy=2.5,
        hints=("://",),
        anchors=("://",),
        before=len("mongodb+srv"),  # the longest scheme
    ),
    Shape(
        "password-assignment",
        "Hard-coded password or secret",
        re.compile(
            r"""(?ix)
            (?:password|passwd|pwd|secret|api_?key|apikey|access_?token|auth_?token|private_?key)[\w-]*['"]?
            \s*(?::=|=>|[:=])\s*
            (?:[a-z]+\()?\s*
            (['"])([^'"\s]{12,200})\1
            """
        ),
        2,
        severity="medium",
        min_entropy=3.3,
        hints=("pass", "pwd", "secret", "key", "token"),
        lower=True,
        # What the expression's first group can start with, lower-cased.
        anchors=(
            "password",
            "passwd",
            "pwd",
            "secret",
            "api_key",
            "apikey",
            "access_token",
            "accesstoken",
            "auth_token",
            "authtoken",
            "private_key",
            "privatekey",
        ),
    ),
)
PLACEHOLDER_RE = re.compile(
    r"""(?ix)
    ^(?:\$\{.*\}|\{\{.*\}\}|<.*>|%\(.*\)s|\$[A-Z_]+|%[A-Z_]+%)$
  | (?:example|sample|placeholder|changeme|change[_-]me|your[_-]?|dummy|fake|test|xxxx|\*\*\*|redacted|
       insecure|secret[_-]?key[_-]?here|todo|replace|password|not[_-]?a[_-]?secret|0123456789|abcdef)
    """
)
# Default passwords of database and broker images, used by CI service containers and local
# set-ups: not secrets anybody could abuse beyond a developer's machine.
DEFAULT_PASSWORDS = frozenset(
    "postgres postgresql mysql mariadb root admin guest redis rabbitmq mongo mongodb pass passw0rd "
    "password secret user test testing dev development local".split()
)
TEST_DEMOTION = {"critical": "low", "high": "low", "medium": "info", "low": "info", "info": "info"}


def entropy(text: str) -> float:
    """Shannon entropy in bits per character: random keys are high, words and patterns low."""
    if not text:
        return 0.0
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _matches(shape: Shape, text: str, lowered: str) -> Iterator[re.Match[str]]:
    """The matches of the shape's expression in the text, as `finditer` gives them."""
    haystack = lowered if shape.lower else text
    if not shape.anchors or len(haystack) != len(text):  # lower() moved offsets: rare Unicode
        yield from shape.pattern.finditer(text)
        return
    starts: set[int] = set()
    for anchor in shape.anchors:
        at = haystack.find(anchor)
        while at >= 0:
            starts.update(range(max(0, at - shape.before), at + 1))
            at = haystack.find(anchor, at + 1)
    end = 0
    for start in sorted(starts):
        if start < end:
            continue
        match = shape.pattern.match(text, start)
        if match:
            yield match
            end = max(match.end(), start + 1)


def _text_file(name: str) -> bool:
    lower = name.lower()
    return not any(lower.endswith(suffix) for suffix in BINARY_SUFFIXES)


class SecretsScanner(InventoryScanner):
    name = "secrets"
    tool = "auditor-secrets"
    domain = "security"
    domains = ("security",)
    languages = None  # every text file, whatever the language

    def run(self, workspace: Path, limits: RunLimits, home: str) -> ScannerOutput:
        started = time.monotonic()
        deadline = started + limits.timeout_s
        try:
            # The re-scan's inventory walked the checkout already; alone, the scanner walks it.
            paths = self.inventory.paths if self.inventory is not None else walk(workspace, deadline=deadline)
        except TimeoutError as exc:
            raise ScannerError(
                f"{self.name}: timed out after {limits.timeout_s:g} s", timed_out=True
            ) from exc
        findings: list[ScanFinding] = []
        suppressed = 0
        scanned = 0
        production = 0
        for rel in paths:
            if not _text_file(rel):
                continue
            try:
                target = workspace / rel
                if target.stat().st_size > MAX_FILE_BYTES:
                    continue
                data = target.read_bytes()
            except OSError:
                continue
            if b"\0" in data[:8000]:
                continue
            scanned += 1
            text = data.decode("utf-8", "replace")
            kind = classify_path(rel, text[:1500])
            file_findings, file_suppressed = scan_text(rel, text, kind=kind)
            if self.raw_outputs is not None:  # kept per file for incremental re-scans
                self.raw_outputs.append(file_record(rel, kind, file_findings, file_suppressed))
            findings += file_findings
            suppressed += file_suppressed
            if kind == PRODUCTION:
                production += len(file_findings)
            if time.monotonic() > deadline:
                raise ScannerError(f"{self.name}: timed out after {limits.timeout_s:g} s", timed_out=True)
        output = ScannerOutput(
            scanner=self.name,
            tool=self.tool,
            report=self.report(findings),
            metrics={
                "secrets_files_scanned": scanned,
                "secrets_found": production,
                "secrets_in_tests_or_docs": len(findings) - production,
            },
        )
        output.suppressed = suppressed
        output.duration_s = time.monotonic() - started
        return output


def file_record(rel: str, kind: str, findings: list[ScanFinding], suppressed: int) -> bytes:
    """What the analyzer found in one file, as the raw output incremental re-scans keep."""
    return json.dumps(
        {
            "path": rel,
            "production": kind == PRODUCTION,
            "findings": [dataclasses.asdict(f) for f in findings],
            "suppressed": suppressed,
        }
    ).encode()


def scan_text(rel: str, text: str, kind: str = "") -> tuple[list[ScanFinding], int]:
    """The secrets of one file's text; (findings, silenced count). Pure: no I/O."""
    findings: list[ScanFinding] = []
    suppressed = 0
    kind = kind or classify_path(rel, text[:1500])
    seen: set[str] = set()
    lowered = text.lower()
    for shape in SHAPES:
        if shape.hints and not any(hint in (lowered if shape.lower else text) for hint in shape.hints):
            continue
        for match in _matches(shape, text, lowered):
            secret = match.group(shape.group)
            if shape.rule_id == "private-key":
                secret = re.sub(r"\s+", "", secret)
            elif (
                PLACEHOLDER_RE.search(secret)
                or secret.lower() in DEFAULT_PASSWORDS
                or entropy(secret) < shape.min_entropy
            ):
                continue
            digest = hashlib.sha256(secret.encode()).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            line_no = text.count("\n", 0, match.start(shape.group)) + 1
            line_start = text.rfind("\n", 0, match.start()) + 1
            line_end = text.find("\n", match.end())
            line_text = text[line_start : line_end if line_end >= 0 else len(text)]
            if ALLOW_RE.search(line_text):
                suppressed += 1
                continue
            severity = shape.severity
            title = f"{shape.title} committed"
            if kind != PRODUCTION:
                severity = TEST_DEMOTION[severity]
                title += f" (in {kind} code)"
            findings.append(
                scan_finding(
                    tool=SecretsScanner.tool,
                    domain=SecretsScanner.domain,
                    rule_id=shape.rule_id,
                    title=title,
                    severity=severity,
                    file_path=rel,
                    line=line_no,
                    description=(
                        f"{shape.title} in {rel} line {line_no} (hash {digest[:12]}…). "
                        + (
                            "Revoke it and remove it from the history."
                            if kind == PRODUCTION
                            else "In test or documentation code: make sure it is not a real credential."
                        )
                    ),
                    cwe="CWE-798",
                    confidence="medium" if shape.rule_id == "password-assignment" else "high",
                    stable_id=f"{shape.rule_id}:{digest}",
                )
            )
    return findings, suppressed
