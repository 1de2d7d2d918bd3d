"""lizard: cyclomatic complexity, length and parameters of every function, in many languages.

Given the production files of the languages it parses (never run, only read), it reports the
functions over the thresholds as code-quality findings and counts all functions, so the formula
scores density (share of functions over a threshold), not raw counts. The repository's own
`whitelizard.txt` is ignored: auditor's thresholds are the same for every repository.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from findings.importers import ScanFinding
from rescans.scanners.base import RunLimits, ScannerError, ScannerOutput, relative_path, scan_finding
from rescans.scanners.coverage import InventoryScanner

# Inventory language -> lizard's language option.
LIZARD_LANGUAGES = {
    "Python": "python",
    "JavaScript": "javascript",
    "TypeScript": "typescript",
    "Go": "go",
    "Java": "java",
    "Rust": "rust",
    "Kotlin": "kotlin",
    "Scala": "scala",
    "C": "cpp",
    "C++": "cpp",
    "C#": "csharp",
    "Objective-C": "objectivec",
    "Swift": "swift",
    "Ruby": "ruby",
    "PHP": "php",
    "Lua": "lua",
    "Erlang": "erlang",
    "Perl": "perl",
    "R": "r",
    "Solidity": "solidity",
    "Zig": "zig",
    "Vue": "vue",
}
# Thresholds: widely used defaults (McCabe's 10 is strict for real code; 15 is lizard's own).
COMPLEXITY_MEDIUM = 15
COMPLEXITY_HIGH = 30
LENGTH_LOW = 100  # lines of code in one function
PARAMETERS_LOW = 7
RUNNER = Path(__file__).resolve().with_name("lizard_runner.py")


class LizardScanner(InventoryScanner):
    name = "lizard"
    tool = "lizard"
    domain = "code-quality"
    domains = ("code-quality",)
    languages = frozenset(LIZARD_LANGUAGES)

    def run(self, workspace: Path, limits: RunLimits, home: str) -> ScannerOutput:
        targets = [f.path for f in self.targets()]
        self.read_paths = []
        if not targets:
            return ScannerOutput(scanner=self.name, tool=self.tool, metrics={"functions": 0})
        list_file = Path(home) / "lizard-files.txt"
        list_file.write_text("\n".join(targets) + "\n")
        # lizard's own command line prints nothing when one file breaks its parser: the runner
        # reads the files one by one. -I: no environment variables or user site-packages.
        command = [sys.executable, "-I", str(RUNNER), str(list_file)]
        result = self.execute(command, workspace, limits, home)
        try:
            output = self.parse(result.stdout, workspace)
        except (ValueError, KeyError, TypeError) as exc:
            raise ScannerError(
                f"{self.name}: could not read its output ({exc})", stderr_tail=result.stderr_tail
            ) from exc
        output.duration_s = result.duration_s
        return output

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:
        findings: list[ScanFinding] = []
        functions = 0
        total_complexity = 0
        over = {"complexity": 0, "length": 0, "parameters": 0}
        read: list[str] = []
        skipped: list[str] = []
        for line in stdout.decode("utf-8", "replace").splitlines():
            row = json.loads(line)
            if "read" in row:
                read.append(relative_path(row["read"], workspace))
                continue
            if "skipped" in row:
                skipped.append(relative_path(row["skipped"], workspace))
                continue
            nloc, ccn, params = int(row["nloc"]), int(row["ccn"]), int(row["params"])
            path = relative_path(row["file"], workspace)
            name, start = str(row["name"]), int(row["line"])
            functions += 1
            total_complexity += ccn
            where = f"{path}:{name}"
            if ccn > COMPLEXITY_MEDIUM:
                over["complexity"] += 1
                findings.append(
                    _finding(
                        "lizard.complexity",
                        f"Function {name} has cyclomatic complexity {ccn} (over {COMPLEXITY_MEDIUM})",
                        "medium" if ccn > COMPLEXITY_HIGH else "low",
                        path,
                        start,
                        "Split it into smaller functions; every branch needs its own test.",
                        where,
                    )
                )
            if nloc > LENGTH_LOW:
                over["length"] += 1
                findings.append(
                    _finding(
                        "lizard.length",
                        f"Function {name} has {nloc} lines of code (over {LENGTH_LOW})",
                        "low",
                        path,
                        start,
                        "Long functions are hard to read and review; extract the steps.",
                        where,
                    )
                )
            if params > PARAMETERS_LOW:
                over["parameters"] += 1
                findings.append(
                    _finding(
                        "lizard.parameters",
                        f"Function {name} takes {params} parameters (over {PARAMETERS_LOW})",
                        "info",
                        path,
                        start,
                        "Group related parameters into an object.",
                        where,
                    )
                )
        self.read_paths = read  # a file lizard could not parse is not covered
        metrics = {
            "files_not_parsed": len(skipped),
            "functions": functions,
            "average_complexity": round(total_complexity / functions, 2) if functions else 0,
            "functions_over_complexity": over["complexity"],
            "functions_over_length": over["length"],
            "functions_over_parameters": over["parameters"],
        }
        return ScannerOutput(scanner=self.name, tool=self.tool, report=self.report(findings), metrics=metrics)


def _finding(
    rule_id: str, title: str, severity: str, path: str, line: int | None, description: str, where: str
) -> ScanFinding:
    return scan_finding(
        tool=LizardScanner.tool,
        rule_id=rule_id,
        title=title,
        severity=severity,
        file_path=path,
        line=line,
        description=description,
        domain=LizardScanner.domain,
        # The function, not the line: the finding survives code moving above it.
        stable_id=f"{rule_id}:{where}",
    )
