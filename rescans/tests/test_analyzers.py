"""The multi-language analyzers (lizard, OSV, secrets) on small repositories written here, and
the AnalyzerRun records they produce: what ran on which code, what failed, what did not apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from findings.models import Severity
from rescans.inventory import build_inventory
from rescans.scanners.base import STABLE_ID_KEY, RunLimits, ScannerError
from rescans.scanners.coverage import analyzer_run
from rescans.scanners.lizard import LizardScanner
from rescans.scanners.manifests import pinned_dependencies
from rescans.scanners.osv import OsvScanner
from rescans.scanners.osv_data import compare, severity_of
from rescans.scanners.secrets import SecretsScanner, entropy, scan_text
from rescans.tests.analyzer_repos import REPOSITORIES, write
from scoring.evidence import FAILED, NOT_APPLICABLE, RAN

LIMITS = RunLimits(timeout_s=120, max_output_bytes=10_000_000)
OSV_DATA = Path(__file__).resolve().parent / "osv_data"


def run(scanner, repo: Path, home: Path):
    inventory = build_inventory(repo)
    scanner.prepare(inventory)
    try:
        output = scanner.run(repo, LIMITS, str(home))
    except ScannerError as exc:
        part = {"status": "failed", "error": str(exc), "duration_s": 0.1}
        return None, analyzer_run(scanner, part, None, inventory)
    return output, analyzer_run(scanner, {"status": "ok", "duration_s": 0.1}, output, inventory)


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    path.mkdir()
    return path


# --- lizard -------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", sorted(REPOSITORIES))
def test_lizard_reads_the_functions_of_every_language(tmp_path, home, language):
    vulnerable, _clean = REPOSITORIES[language]
    repo = write(tmp_path / "repo", vulnerable)
    output, record = run(LizardScanner(), repo, home)

    assert output.metrics["functions"] >= 1
    assert record.status == RAN
    assert record.covered_lines > 0
    assert record.domains == ("code-quality",)


def test_lizard_reports_complex_long_functions_of_production_code_only(tmp_path, home):
    branches = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(20))
    long_body = "".join(f"    y{i} = x + {i}\n" for i in range(110))
    files = {
        "app/logic.py": f"def tangled(x):\n{branches}    return -1\n\n\n"
        f"def long(x):\n{long_body}    return x\n\n\n"
        "def simple(a, b, c, d, e, f, g, h):\n    return a\n",
        "tests/test_logic.py": f"def test_tangled(x):\n{branches}    return -1\n",
    }
    output, record = run(LizardScanner(), write(tmp_path / "repo", files), home)

    rules = sorted((f.rule_id, f.file_path) for f in output.findings)
    assert rules == [
        ("lizard.complexity", "app/logic.py"),
        ("lizard.length", "app/logic.py"),
        ("lizard.parameters", "app/logic.py"),
    ]
    assert output.metrics["functions"] == 3
    assert output.metrics["functions_over_complexity"] == 1
    complexity = next(f for f in output.findings if f.rule_id == "lizard.complexity")
    assert complexity.severity == Severity.LOW
    assert complexity.tool_fingerprint == f"{STABLE_ID_KEY}=lizard.complexity:app/logic.py:tangled"
    assert record.languages == ("Python",)


def test_lizard_does_not_apply_to_a_repository_without_code_it_reads(tmp_path, home):
    repo = write(tmp_path / "repo", {"README.md": "# docs only\n", "schema.sql": "SELECT 1;\n"})
    output, record = run(LizardScanner(), repo, home)
    assert output.findings == []
    assert record.status == NOT_APPLICABLE
    assert record.covered_lines == 0


# --- OSV ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, expected",
    [
        ("python", {"AUDITOR-TEST-CVE-1", "AUDITOR-TEST-PY-2"}),
        ("javascript", {"AUDITOR-TEST-JS-1"}),
        ("go", {"AUDITOR-TEST-GO-1"}),
        ("java", {"AUDITOR-TEST-JAVA-1"}),
        ("rust", {"AUDITOR-TEST-RUST-1"}),
    ],
)
def test_osv_finds_the_known_vulnerabilities_of_pinned_versions(tmp_path, home, settings, language, expected):
    settings.OSV_DATA_DIR = str(OSV_DATA)
    vulnerable, clean = REPOSITORIES[language]

    output, record = run(OsvScanner(), write(tmp_path / "bad", vulnerable), home)
    assert {f.rule_id for f in output.findings} == expected
    assert record.status == RAN and record.domains == ("security",)

    output, record = run(OsvScanner(), write(tmp_path / "good", clean), home)
    assert output.findings == []
    assert record.status == RAN  # a clean run on pinned dependencies is evidence


def test_osv_reports_one_finding_per_vulnerability_and_skips_withdrawn_records(tmp_path, home, settings):
    settings.OSV_DATA_DIR = str(OSV_DATA)
    repo = write(tmp_path / "repo", {"requirements.txt": "Flask==2.0.1\n", "app.py": "x = 1\n"})
    output, _record = run(OsvScanner(), repo, home)

    # The two records alias each other: one finding. The withdrawn record is never reported.
    assert [f.rule_id for f in output.findings] == ["AUDITOR-TEST-CVE-1"]
    finding = output.findings[0]
    assert finding.file_path == "requirements.txt"
    assert finding.tool_fingerprint == f"{STABLE_ID_KEY}=PyPI:flask:2.0.1:AUDITOR-TEST-CVE-1"


def test_osv_severity_comes_from_the_record(tmp_path, home, settings):
    settings.OSV_DATA_DIR = str(OSV_DATA)
    output, _ = run(OsvScanner(), write(tmp_path / "repo", REPOSITORIES["python"][0]), home)
    by_id = {f.rule_id: f for f in output.findings}
    assert by_id["AUDITOR-TEST-PY-2"].severity == Severity.MEDIUM  # CVSS 3.1 base score 5.3
    assert severity_of({"database_specific": {"severity": "CRITICAL"}}) == "critical"
    assert severity_of(
        {"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}
    ) == ("critical")


def test_osv_without_data_is_not_measured_never_clean(tmp_path, home, settings, monkeypatch):
    settings.OSV_DATA_DIR = ""
    monkeypatch.delenv("OSV_DATA_DIR", raising=False)
    output, record = run(OsvScanner(), write(tmp_path / "repo", REPOSITORIES["python"][0]), home)
    assert output is None
    assert record.status == FAILED
    assert "OSV_DATA_DIR" in record.error
    assert record.covered_lines == 0

    settings.OSV_DATA_DIR = str(tmp_path / "empty")
    (tmp_path / "empty").mkdir()
    _output, record = run(OsvScanner(), write(tmp_path / "repo", REPOSITORIES["python"][0]), home)
    assert record.status == FAILED


def test_osv_does_not_apply_without_pinned_versions(tmp_path, home, settings):
    settings.OSV_DATA_DIR = str(OSV_DATA)
    repo = write(
        tmp_path / "repo", {"package.json": '{"dependencies": {"express": "^4.0.0"}}', "a.js": "x\n"}
    )
    output, record = run(OsvScanner(), repo, home)
    assert output.metrics["dependencies_pinned"] == 0
    assert record.status == NOT_APPLICABLE


def test_pinned_versions_are_read_from_each_lock_file_format(tmp_path):
    files = {
        "poetry.lock": '[[package]]\nname = "Django"\nversion = "4.2.1"\n',
        "Pipfile.lock": '{"default": {"jinja2": {"version": "==3.1.2"}}, "develop": {}}',
        "pyproject.toml": '[project]\ndependencies = ["attrs==23.1.0", "click>=8"]\n',
        "package-lock.json": '{"lockfileVersion": 3, "packages": {"": {}, '
        '"node_modules/lodash": {"version": "4.17.20"},'
        ' "node_modules/@babel/core": {"version": "7.1.0"}}}',
        "old/package-lock.json": '{"dependencies": {"minimist": {"version": "1.2.0", "dependencies": '
        '{"deep": {"version": "0.1.0"}}}}}',
        "yarn.lock": '"@types/node@^18.0.0", "@types/node@^18.1.0":\n  version "18.11.9"\n\n'
        "left-pad@^1.0.0:\n"
        '  version "1.3.0"\n',
        "berry/yarn.lock": '__metadata:\n  version: 6\n\n"axios@npm:^1.0.0":\n  version: 1.6.0\n',
        "pnpm-lock.yaml": "lockfileVersion: '6.0'\n\npackages:\n\n  /ms@2.1.2:\n    resolution: {}\n\n"
        "  /@scope/pkg@1.0.0(react@18.0.0):\n    dev: false\n",
        "go.sum": "github.com/gin-gonic/gin v1.9.0 h1:abc=\ngithub.com/gin-gonic/gin v1.9.0/go.mod h1:def=\n",
        "Gemfile.lock": "GEM\n  specs:\n    rails (7.0.4)\n    nokogiri (1.14.0-x86_64-linux)\n",
        "composer.lock": '{"packages": [{"name": "Monolog/Monolog", "version": "v2.9.1"}]}',
        "app/build.gradle": "dependencies { implementation 'org.yaml:snakeyaml:1.33' }\n",
        "broken/package-lock.json": "{not json",
        "odd/pom.xml": '<?xml version="1.0" encoding="atf-8"?><project/>',  # an unknown encoding
    }
    write(tmp_path, files)
    deps, unreadable = pinned_dependencies(tmp_path, list(files))
    found = {(d.ecosystem, d.name, d.version) for d in deps}

    assert {
        ("PyPI", "django", "4.2.1"),
        ("PyPI", "jinja2", "3.1.2"),
        ("PyPI", "attrs", "23.1.0"),
        ("npm", "lodash", "4.17.20"),
        ("npm", "@babel/core", "7.1.0"),
        ("npm", "minimist", "1.2.0"),
        ("npm", "deep", "0.1.0"),
        ("npm", "@types/node", "18.11.9"),
        ("npm", "left-pad", "1.3.0"),
        ("npm", "axios", "1.6.0"),
        ("npm", "ms", "2.1.2"),
        ("npm", "@scope/pkg", "1.0.0"),
        ("Go", "github.com/gin-gonic/gin", "1.9.0"),
        ("RubyGems", "rails", "7.0.4"),
        ("RubyGems", "nokogiri", "1.14.0"),
        ("Packagist", "monolog/monolog", "2.9.1"),
        ("Maven", "org.yaml:snakeyaml", "1.33"),
    } <= found
    assert not any(name == "click" for _eco, name, _v in found)  # a range pins nothing
    assert unreadable == ["broken/package-lock.json", "odd/pom.xml"]


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("1.2.3", "1.2.10", -1),
        ("2.0.0", "2.0", 0),
        ("1.0.0-rc1", "1.0.0", -1),
        ("1.0rc1", "1.0", -1),
        ("1.0.1", "1.0", 1),
        ("0.17.0", "0.7.0", 1),
        ("2.9.10.1", "2.9.10", 1),
        ("1.0.0-alpha", "1.0.0-beta", -1),
        ("3.1.2", "3.1.2", 0),
    ],
)
def test_version_order(a, b, expected):
    assert compare(a, b) == expected
    assert compare(b, a) == -expected


# --- secrets ------------------------------------------------------------------------------------

AWS_KEY = "AKIA" + "Q3EGRHJK5LMNPTVW"  # built at run time: no secret-looking literal here
STRIPE_KEY = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def test_a_secret_in_production_code_is_high_and_in_tests_low(tmp_path, home):
    repo = write(
        tmp_path / "repo",
        {
            "app/settings.py": f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n',
            "deploy/env.yaml": f"stripe: {STRIPE_KEY}\n",
            "tests/test_settings.py": f'KEY = "{AWS_KEY}"\n',
            "docs/setup.md": f"export AWS_ACCESS_KEY_ID={AWS_KEY}\n",
        },
    )
    output, record = run(SecretsScanner(), repo, home)

    found = {(f.file_path, f.rule_id, f.severity) for f in output.findings}
    assert found == {
        ("app/settings.py", "aws-access-key-id", Severity.HIGH),
        ("deploy/env.yaml", "stripe-secret-key", Severity.HIGH),
        ("tests/test_settings.py", "aws-access-key-id", Severity.LOW),
        ("docs/setup.md", "aws-access-key-id", Severity.LOW),
    }
    assert output.metrics["secrets_found"] == 2
    assert output.metrics["secrets_in_tests_or_docs"] == 2
    for finding in output.findings:
        assert AWS_KEY not in finding.title + finding.description + finding.tool_fingerprint
    assert record.status == RAN and record.languages == ()


def test_placeholders_low_entropy_values_and_default_passwords_are_not_secrets():
    text = (
        'PASSWORD = "changeme-changeme"\n'
        'api_key = "your-api-key-here"\n'
        'SECRET_KEY = "{{ secret_key }}"\n'
        'password = "aaaaaaaaaaaaaaaa"\n'
        "DATABASE_URL = postgres://postgres:postgres@localhost/db\n"
        'token = os.environ["TOKEN"]\n'
    )
    findings, suppressed = scan_text("app/config.py", text)
    assert findings == [] and suppressed == 0


def test_password_like_values_and_private_keys_are_found():
    password = "Zx8#qL2vN9wR4tY7"
    key_body = "MIIEowIBAAKCAQEA7" + "x" * 20 + "Q9f3kL0pZ8vB2nM4cR6tY1uW5"
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{key_body}\n-----END RSA PRIVATE KEY-----\n"
    text = f'DB_PASSWORD = "{password}"\n{pem}'
    findings, _ = scan_text("config/prod.py", text)
    assert {(f.rule_id, f.severity, f.line) for f in findings} == {
        ("password-assignment", Severity.MEDIUM, 1),
        ("private-key", Severity.HIGH, 3),
    }
    assert entropy(password) > entropy("aaaaaaaaaaaaaaaa")


def test_a_secret_marked_by_the_team_is_counted_as_silenced():
    findings, suppressed = scan_text("app/settings.py", f'KEY = "{AWS_KEY}"  # pragma: allowlist secret\n')
    assert findings == [] and suppressed == 1


def test_binary_files_and_symlinks_are_not_read(tmp_path, home):
    repo = write(tmp_path / "repo", {"app.py": "x = 1\n"})
    (repo / "blob.dat").write_bytes(b"\0\x01" + AWS_KEY.encode())
    outside = write(tmp_path / "outside", {"leak.py": f'K = "{AWS_KEY}"\n'})
    (repo / "linked.py").symlink_to(outside / "leak.py")
    output, _ = run(SecretsScanner(), repo, home)
    assert output.findings == []


def test_a_run_without_any_ci_artifact_is_not_evidence(tmp_path):
    from rescans.scanners.artifacts import ArtifactsScanner

    repo = write(tmp_path / "repo", {"app.py": "x = 1\n"})
    inventory = build_inventory(repo)
    output = ArtifactsScanner().run(repo, LIMITS, str(tmp_path))
    record = analyzer_run(ArtifactsScanner(), {"status": "ok"}, output, inventory)
    assert record.status == NOT_APPLICABLE
    assert record.covered_lines == 0


def test_known_analyzers_declare_their_languages_and_domains(tmp_path):
    from rescans.scanners.bandit import BanditScanner
    from rescans.scanners.ruff import RuffScanner

    repo = write(tmp_path / "repo", {"main.go": "package main\n\nfunc main() {}\n"})
    inventory = build_inventory(repo)
    bandit = analyzer_run(BanditScanner(), {"status": "ok"}, None, inventory)
    assert (bandit.status, bandit.domains) == (NOT_APPLICABLE, ("security",))
    ruff = analyzer_run(RuffScanner(), {"status": "timeout", "error": "ruff: timed out"}, None, inventory)
    assert (ruff.status, ruff.domains, ruff.error) == (FAILED, ("code-quality",), "ruff: timed out")


@pytest.fixture
def osv_api():
    """A local server answering like the OSV API from the fixture records: querybatch returns
    every record of the package (the analyzer still checks the version), /v1/vulns/<id> one."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    records = {}
    for path in OSV_DATA.rglob("*.json"):
        record = json.loads(path.read_text())
        records[record["id"]] = record
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, body: dict, status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            seen.append(self.path)
            if self.path != "/v1/querybatch":
                return self._send({"message": "not found"}, 404)
            queries = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["queries"]
            results = []
            for query in queries:
                name = query["package"]["name"].lower()
                vulns = [
                    {"id": rid}
                    for rid, record in records.items()
                    if any(a["package"]["name"].lower() == name for a in record.get("affected", []))
                ]
                results.append({"vulns": vulns} if vulns else {})
            self._send({"results": results})

        def do_GET(self):
            seen.append(self.path)
            rid = self.path.removeprefix("/v1/vulns/")
            if rid in records:
                return self._send(records[rid])
            return self._send({"message": "not found"}, 404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def test_osv_uses_the_api_when_no_local_export_is_given(tmp_path, home, settings, osv_api):
    url, seen = osv_api
    settings.OSV_DATA_DIR = ""
    settings.OSV_API_URL = url
    output, record = run(OsvScanner(), write(tmp_path / "bad", REPOSITORIES["python"][0]), home)

    assert {f.rule_id for f in output.findings} == {"AUDITOR-TEST-CVE-1", "AUDITOR-TEST-PY-2"}
    assert record.status == RAN
    assert seen[0] == "/v1/querybatch"

    output, record = run(OsvScanner(), write(tmp_path / "good", REPOSITORIES["python"][1]), home)
    assert output.findings == [] and record.status == RAN


def test_osv_with_an_unreachable_api_is_not_measured(tmp_path, home, settings, osv_api):
    url, _seen = osv_api
    settings.OSV_DATA_DIR = ""
    settings.OSV_API_URL = url + "/nowhere"  # every request answers 404
    _output, record = run(OsvScanner(), write(tmp_path / "repo", REPOSITORIES["python"][0]), home)
    assert record.status == FAILED
    assert "unreachable" in record.error


def test_a_file_lizard_cannot_read_is_skipped_and_not_covered(tmp_path, home):
    # lizard's own command line prints nothing at all when one file fails; the runner reads the
    # files one by one. Here the file disappears between the inventory and the analysis.
    repo = write(
        tmp_path / "repo",
        {"web/gone.js": "function g() { return 1; }\n", "app/ok.py": "def f(x):\n    return x\n"},
    )
    inventory = build_inventory(repo)
    (repo / "web/gone.js").unlink()
    scanner = LizardScanner()
    scanner.prepare(inventory)
    output = scanner.run(repo, LIMITS, str(home))
    record = analyzer_run(scanner, {"status": "ok"}, output, inventory)

    assert output.metrics["functions"] == 1
    assert output.metrics["files_not_parsed"] == 1
    assert scanner.read_paths == ["app/ok.py"]
    assert record.status == RAN and record.languages == ("Python",)
    assert record.covered_lines == 2


def test_bandit_and_ruff_read_the_production_python_files_of_the_inventory(tmp_path, home):
    from rescans.scanners.bandit import BanditScanner
    from rescans.scanners.ruff import RuffScanner

    risky = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    repo = write(tmp_path / "repo", {"app/run.py": risky, "tests/test_run.py": risky, "docs/conf.py": risky})
    inventory = build_inventory(repo)
    for scanner in (BanditScanner(), RuffScanner()):
        scanner.prepare(inventory)
        assert scanner.targets == ["app/run.py"]
    bandit = BanditScanner()
    bandit.prepare(inventory)
    output = bandit.run(repo, LIMITS, str(home))
    assert {f.file_path for f in output.findings} == {"app/run.py"}

    # Without an inventory (or without production Python) the whole checkout is read, as before.
    assert BanditScanner().command(repo)[-1] == "."
