"""Known vulnerabilities of the pinned dependencies, from the OSV database.

The exact versions come from lock files and pinned manifests of each ecosystem
(`scanners/manifests.py`). They are matched against an OSV export read from the folder of the
OSV_DATA_DIR setting, or the OSV API at OSV_API_URL (`scanners/osv_data.py`). Without either
there is no data: the run fails ("not measured"), it never reports "no vulnerabilities".
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from rescans.practices import ECOSYSTEM_LANGUAGES
from rescans.scanners.base import RunLimits, ScannerError, ScannerOutput
from rescans.scanners.coverage import InventoryScanner
from rescans.scanners.manifests import Dependency, pinned_dependencies
from rescans.scanners.osv_data import OsvApi, OsvDatabase, api_url, data_dir, severity_of


class OsvScanner(InventoryScanner):
    name = "osv"
    tool = "osv"
    domain = "security"
    domains = ("security",)
    languages = frozenset(lang for langs in ECOSYSTEM_LANGUAGES.values() for lang in langs)

    def run(self, workspace: Path, limits: RunLimits, home: str) -> ScannerOutput:
        started = time.monotonic()
        manifests = list(self.require_inventory().profile.manifests)
        dependencies, unreadable = pinned_dependencies(workspace, manifests)
        ecosystems = {d.ecosystem for d in dependencies}
        self.read_languages = sorted(
            {lang for eco in ecosystems for lang in ECOSYSTEM_LANGUAGES.get(eco, ())}
        )
        metrics = {
            "dependencies_pinned": len(dependencies),
            "ecosystems": sorted(ecosystems),
            "manifests_unreadable": unreadable[:20],
        }
        if not dependencies:
            return ScannerOutput(scanner=self.name, tool=self.tool, metrics=metrics)
        database = self._database(dependencies, started + limits.timeout_s)
        findings = []
        vulnerable = set()
        for dep in dependencies:
            for record, affected in database.vulnerabilities(dep):
                vulnerable.add((dep.ecosystem, dep.name, dep.version))
                summary = " ".join(str(record.get("summary") or record.get("details") or "").split())[:200]
                aliases = [a for a in record.get("aliases") or [] if a.startswith("CVE-")]
                findings.append(
                    self.finding(
                        workspace=workspace,
                        lines={},
                        rule_id=record["id"],
                        title=f"{dep.name} {dep.version}: {record['id']} {summary}".strip()[:300],
                        severity=severity_of(record, affected),
                        file_path=dep.manifest,
                        description=(
                            f"{dep.ecosystem} package {dep.name} {dep.version} is affected by {record['id']}"
                            + (f" ({', '.join(aliases[:3])})" if aliases else "")
                            + f". {summary} Upgrade to a fixed version."
                        ),
                        cwe=_first_cwe(record),
                        confidence="high",
                        stable_id=f"{dep.ecosystem}:{dep.name}:{dep.version}:{record['id']}",
                    )
                )
        metrics.update(dependencies_vulnerable=len(vulnerable), osv_records=database.files)
        output = ScannerOutput(
            scanner=self.name, tool=self.tool, report=self.report(findings), metrics=metrics
        )
        output.duration_s = time.monotonic() - started
        return output

    def _database(self, dependencies: list[Dependency], deadline: float) -> OsvDatabase:
        """The local export when there is one, else the API when configured; else not measured."""
        folder, url = data_dir(), api_url()
        ecosystems = {d.ecosystem for d in dependencies}
        try:
            if folder:
                return OsvDatabase(Path(folder), ecosystems, deadline=deadline)
            if url:
                return OsvApi(url, dependencies, deadline)
        except TimeoutError as exc:
            raise ScannerError(f"{self.name}: timed out reading the OSV data", timed_out=True) from exc
        except (OSError, ValueError) as exc:
            source = (
                "the OSV data folder holds no readable OSV records"
                if folder
                else "the OSV API is unreachable"
            )
            raise ScannerError(f"{self.name}: {source}; dependencies not measured") from exc
        raise ScannerError(
            f"{self.name}: no vulnerability data (set OSV_DATA_DIR to a local OSV export, or OSV_API_URL "
            "where the network allows); dependencies not measured"
        )


def _first_cwe(record: dict[str, Any]) -> str:
    for cwe in (record.get("database_specific") or {}).get("cwe_ids") or []:
        if re.fullmatch(r"CWE-\d+", str(cwe)):
            return str(cwe)
    return ""
