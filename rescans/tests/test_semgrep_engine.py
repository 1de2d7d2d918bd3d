"""The re-scan runs Semgrep's OCaml command line on the pack turned into JSON: it must find
exactly what Semgrep's Python command line finds with the pack as written (YAML anchors and all)."""

from __future__ import annotations

import json
import subprocess

import yaml

from rescans.inventory import build_inventory
from rescans.runner import safe_env
from rescans.scanners.base import RunLimits
from rescans.scanners.semgrep import ENV, RULE_FILES, RULES_DIR, SemgrepScanner, rules_json
from rescans.tests.analyzer_repos import write

LIMITS = RunLimits(timeout_s=300, max_output_bytes=20_000_000)

# The pack's own test cases: every rule's positive and negative examples.
TARGETS = sorted(p.name for p in RULES_DIR.iterdir() if p.suffix not in (".yaml", ".yml") and p.is_file())


def results(command: list[str], home: str) -> list[tuple[object, ...]]:
    done = subprocess.run(
        [*command, "--", *TARGETS],
        cwd=RULES_DIR,
        env={**safe_env(home), **ENV},
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr.decode()[-2000:]
    report = json.loads(done.stdout)
    assert report["errors"] == []
    return sorted(
        (
            item["check_id"],
            item["path"],
            item["start"]["line"],
            item["start"]["col"],
            item["end"]["line"],
            item["end"]["col"],
            item["extra"]["message"],
            item["extra"]["severity"],
            json.dumps(item["extra"].get("metadata"), sort_keys=True),
        )
        for item in report["results"]
    )


def test_the_json_rules_are_the_yaml_rules_with_anchors_resolved():
    for name in RULE_FILES:
        written = yaml.safe_load((RULES_DIR / name).read_text())
        assert json.loads(rules_json()[name.removesuffix(".yaml") + ".json"]) == written
        assert "*" in (RULES_DIR / name).read_text()  # the pack does use aliases


def test_the_scanners_semgrep_finds_what_the_python_command_line_finds_on_the_packs_cases(tmp_path):
    scanner = SemgrepScanner()
    command = scanner.base_command(rules=scanner.write_rules(tmp_path))
    python_cli = scanner.base_command()
    assert "--experimental" in command and "--experimental" not in python_cli

    found = results(command, str(tmp_path))
    assert len({rule for rule, *_rest in found}) >= 20  # most of the pack fires on its own cases
    assert found == results(python_cli, str(tmp_path))


def test_names_the_ocaml_command_line_leaves_out_are_read_too(tmp_path):
    code = (RULES_DIR / "javascript.js").read_text()
    files = {"src/app.js": code, "src/app.d.ts": code, "src/lib.min.js": code}
    repo = write(tmp_path / "repo", files)
    home = tmp_path / "home"
    home.mkdir()
    scanner = SemgrepScanner()
    scanner.prepare(build_inventory(repo))
    targets = {f.path for f in scanner.targets()}
    output = scanner.run(repo, LIMITS, str(home))

    assert {"src/app.js", "src/app.d.ts"} <= targets
    assert sorted(scanner.read_paths) == sorted(targets)
    found = {
        path: sorted((f.rule_id, f.line) for f in output.findings if f.file_path == path) for path in targets
    }
    assert found["src/app.js"]
    assert all(rows == found["src/app.js"] for rows in found.values())
