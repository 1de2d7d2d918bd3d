"""Known vulnerabilities of the pinned dependencies, from the OSV database.

The exact versions come from lock files and pinned manifests of each ecosystem (nothing is
installed or resolved; a range like "^1.2" pins nothing and is not checked). They are matched
against an OSV export read from the folder of the OSV_DATA_DIR setting (OSV's own JSON format, one
vulnerability per file, any folder layout). Without that folder there is no data: the run fails
("not measured"), it never reports "no vulnerabilities". Nothing is sent over the network.
"""

from __future__ import annotations

import json
import os
import re
import time
import tomllib
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from functools import cmp_to_key
from pathlib import Path
from typing import Any

from defusedxml import ElementTree

from rescans.inventory import ECOSYSTEM_LANGUAGES, REQUIREMENTS_RE
from rescans.scanners.base import RunLimits, ScannerError, ScannerOutput
from rescans.scanners.coverage import InventoryScanner

MAX_MANIFEST_BYTES = 20 * 1024 * 1024
MAX_OSV_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Dependency:
    ecosystem: str
    name: str
    version: str
    manifest: str  # repository-relative path of the file that pins it


# --- Reading pinned versions ---------------------------------------------------------------------


def _requirements(text: str) -> list[tuple[str, str]]:
    pins = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        match = re.match(
            r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([A-Za-z0-9.!+_-]+)\s*$", line
        )
        if match:
            pins.append((match[1], match[2]))
    return pins


def _toml_packages(text: str) -> list[tuple[str, str]]:
    """poetry.lock, uv.lock, pdm.lock and Cargo.lock: [[package]] tables with name and version."""
    data = tomllib.loads(text)
    return [
        (p["name"], str(p["version"]))
        for p in data.get("package", [])
        if isinstance(p, dict) and p.get("name") and p.get("version")
    ]


def _pipfile_lock(text: str) -> list[tuple[str, str]]:
    data = json.loads(text)
    pins = []
    for section in ("default", "develop"):
        for name, spec in (data.get(section) or {}).items():
            version = str((spec or {}).get("version", ""))
            if version.startswith("=="):
                pins.append((name, version[2:]))
    return pins


def _pyproject(text: str) -> list[tuple[str, str]]:
    data = tomllib.loads(text)
    specs = list((data.get("project") or {}).get("dependencies") or [])
    for group in ((data.get("project") or {}).get("optional-dependencies") or {}).values():
        specs += list(group)
    return _requirements("\n".join(s for s in specs if isinstance(s, str)))


def _package_lock(text: str) -> list[tuple[str, str]]:
    data = json.loads(text)
    pins = []
    for path, info in (data.get("packages") or {}).items():
        if path and isinstance(info, dict) and info.get("version") and not info.get("link"):
            pins.append((info.get("name") or path.rsplit("node_modules/", 1)[-1], str(info["version"])))
    if not pins:  # lockfileVersion 1: nested "dependencies"
        stack = [data.get("dependencies") or {}]
        while stack:
            for name, info in stack.pop().items():
                if isinstance(info, dict) and info.get("version"):
                    pins.append((name, str(info["version"])))
                    stack.append(info.get("dependencies") or {})
    return pins


YARN_ENTRY_RE = re.compile(r'^"?((?:@[^@/\s"]+/)?[^@\s",]+)@[^\n]*:\s*\n((?:[ \t]+[^\n]*\n?)*)', re.M)
YARN_VERSION_RE = re.compile(r'^\s+version:?\s+"?([^"\s]+)"?', re.M)


def _yarn_lock(text: str) -> list[tuple[str, str]]:
    pins = []
    for match in YARN_ENTRY_RE.finditer(text):
        version = YARN_VERSION_RE.search(match[2])
        if version and match[1] != "__metadata":
            pins.append((match[1], version[1]))
    return pins


PNPM_KEY_RE = re.compile(r"^\s{2}'?/?((?:@[^@/\s]+/)?[^@/\s(']+)[@/](\d[^(:'\s]*)", re.M)


def _pnpm_lock(text: str) -> list[tuple[str, str]]:
    section = text.split("\npackages:", 1)
    if len(section) < 2:
        return []
    body = re.split(r"\n\S", section[1], maxsplit=1)[0]
    return [(m[1], m[2]) for m in PNPM_KEY_RE.finditer(body)]


EXACT_NPM_RE = re.compile(r"^=?v?(\d+\.\d+\.\d+(?:[-+][\w.-]+)?)$")


def _package_json(text: str) -> list[tuple[str, str]]:
    data = json.loads(text)
    pins = []
    for section in ("dependencies", "devDependencies", "optionalDependencies"):
        for name, spec in (data.get(section) or {}).items():
            match = EXACT_NPM_RE.match(str(spec).strip())
            if match:
                pins.append((name, match[1]))
    return pins


GO_REQUIRE_RE = re.compile(r"^\s*(?:require\s+)?([\w.~/-]+\.[\w.~/-]+)\s+(v[\w.+-]+)(?:\s*//.*)?$", re.M)


def _go_mod(text: str) -> list[tuple[str, str]]:
    pins = []
    in_replace = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("replace") or stripped.startswith("exclude"):
            in_replace = stripped.endswith("(")
            continue
        if in_replace:
            in_replace = stripped != ")"
            continue
        match = GO_REQUIRE_RE.match(line)
        if match and not stripped.startswith("module"):
            pins.append((match[1], match[2]))
    return pins


def _go_sum(text: str) -> list[tuple[str, str]]:
    pins = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[1].endswith("/go.mod"):
            pins.append((parts[0], parts[1]))
    return pins


def _cargo_toml(text: str) -> list[tuple[str, str]]:
    data = tomllib.loads(text)
    pins = []
    for section in ("dependencies", "dev-dependencies", "build-dependencies"):
        for name, spec in (data.get(section) or {}).items():
            version = spec.get("version") if isinstance(spec, dict) else spec
            if isinstance(version, str) and version.startswith("="):
                pins.append((name, version.lstrip("= ")))
    return pins


def _pom(text: str) -> list[tuple[str, str]]:
    root = ElementTree.fromstring(text.encode())
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    properties = {}
    props = root.find(f"{ns}properties")
    if props is not None:
        for prop in props:
            properties[prop.tag.replace(ns, "")] = (prop.text or "").strip()
    pins = []
    for dep in root.iter(f"{ns}dependency"):
        group = (dep.findtext(f"{ns}groupId") or "").strip()
        artifact = (dep.findtext(f"{ns}artifactId") or "").strip()
        version = (dep.findtext(f"{ns}version") or "").strip()
        version = re.sub(r"\$\{([^}]+)\}", lambda m: properties.get(m[1], m[0]), version)
        if group and artifact and re.match(r"^\d[\w.-]*$", version):
            pins.append((f"{group}:{artifact}", version))
    return pins


GRADLE_RE = re.compile(r"""['"]([\w.-]+):([\w.-]+):(\d[\w.-]*)['"]""")


def _gradle(text: str) -> list[tuple[str, str]]:
    return [(f"{m[1]}:{m[2]}", m[3]) for m in GRADLE_RE.finditer(text)]


def _gradle_lockfile(text: str) -> list[tuple[str, str]]:
    pins = []
    for line in text.splitlines():
        coordinate = line.split("=", 1)[0].strip()
        parts = coordinate.split(":")
        if len(parts) == 3 and not line.startswith("#"):
            pins.append((f"{parts[0]}:{parts[1]}", parts[2]))
    return pins


GEMFILE_LOCK_RE = re.compile(r"^    ([A-Za-z0-9_.-]+) \(([^)\s]+)\)$", re.M)


def _gemfile_lock(text: str) -> list[tuple[str, str]]:
    return [(m[1], m[2].split("-", 1)[0]) for m in GEMFILE_LOCK_RE.finditer(text)]


def _composer_lock(text: str) -> list[tuple[str, str]]:
    data = json.loads(text)
    return [
        (p["name"], str(p["version"]).lstrip("v"))
        for key in ("packages", "packages-dev")
        for p in data.get(key) or []
        if isinstance(p, dict) and p.get("name") and p.get("version")
    ]


PARSERS = {
    "poetry.lock": ("PyPI", _toml_packages),
    "uv.lock": ("PyPI", _toml_packages),
    "pdm.lock": ("PyPI", _toml_packages),
    "Pipfile.lock": ("PyPI", _pipfile_lock),
    "pyproject.toml": ("PyPI", _pyproject),
    "package-lock.json": ("npm", _package_lock),
    "npm-shrinkwrap.json": ("npm", _package_lock),
    "yarn.lock": ("npm", _yarn_lock),
    "pnpm-lock.yaml": ("npm", _pnpm_lock),
    "package.json": ("npm", _package_json),
    "go.mod": ("Go", _go_mod),
    "go.sum": ("Go", _go_sum),
    "Cargo.lock": ("crates.io", _toml_packages),
    "Cargo.toml": ("crates.io", _cargo_toml),
    "pom.xml": ("Maven", _pom),
    "build.gradle": ("Maven", _gradle),
    "build.gradle.kts": ("Maven", _gradle),
    "gradle.lockfile": ("Maven", _gradle_lockfile),
    "Gemfile.lock": ("RubyGems", _gemfile_lock),
    "composer.lock": ("Packagist", _composer_lock),
}


def normalise_name(ecosystem: str, name: str) -> str:
    if ecosystem == "PyPI":
        return re.sub(r"[-_.]+", "-", name).lower()
    if ecosystem in ("Go", "Maven", "Packagist", "NuGet", "RubyGems", "crates.io"):
        return name.lower() if ecosystem in ("Packagist", "NuGet") else name
    return name


def normalise_version(ecosystem: str, version: str) -> str:
    if ecosystem == "Go":
        version = version.removeprefix("v").removesuffix("+incompatible")
    return version


def pinned_dependencies(workspace: Path, manifests: list[str]) -> tuple[list[Dependency], list[str]]:
    """(dependencies, manifests that could not be read) from the given repository-relative files."""
    found: dict[tuple[str, str, str], Dependency] = {}
    unreadable = []
    for rel in manifests:
        name = rel.rsplit("/", 1)[-1]
        if name in PARSERS:
            ecosystem, parser = PARSERS[name]
        elif REQUIREMENTS_RE.match(name):
            ecosystem, parser = "PyPI", _requirements
        else:
            continue
        path = workspace / rel
        try:
            if path.is_symlink() or path.stat().st_size > MAX_MANIFEST_BYTES:
                continue
            pins = parser(path.read_text("utf-8", "replace"))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, ElementTree.ParseError):
            unreadable.append(rel)
            continue
        for dep_name, version in pins:
            key = (ecosystem, normalise_name(ecosystem, dep_name), normalise_version(ecosystem, version))
            found.setdefault(key, Dependency(ecosystem, key[1], key[2], rel))
    return sorted(found.values(), key=lambda d: (d.ecosystem, d.name, d.version)), unreadable


# --- Versions ------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"\d+|[A-Za-z]+")
_PRE_RELEASE = {
    "dev": -4,
    "a": -3,
    "alpha": -3,
    "b": -2,
    "beta": -2,
    "c": -1,
    "rc": -1,
    "pre": -1,
    "preview": -1,
}


def _key(version: str) -> tuple[tuple[int, ...], list[tuple[int, int | str]]]:
    """(release numbers, the rest) of a version: works for semantic versions and most ecosystems'
    own schemes. Numbers compare as numbers; pre-release words sort before the release."""
    version = version.split("+", 1)[0].lower().lstrip("v=")
    tokens = [t for t in _TOKEN_RE.findall(version) if t not in ("final", "release", "ga", "r")]
    release: list[int] = []
    while tokens and tokens[0].isdigit():
        release.append(int(tokens.pop(0)))
    while release and release[-1] == 0:
        release.pop()
    rest = [
        (1, int(t)) if t.isdigit() else (0, _PRE_RELEASE[t]) if t in _PRE_RELEASE else (2, t) for t in tokens
    ]
    return tuple(release), rest


def compare(a: str, b: str) -> int:
    (ra, rest_a), (rb, rest_b) = _key(a), _key(b)
    width = max(len(ra), len(rb))
    ra, rb = ra + (0,) * (width - len(ra)), rb + (0,) * (width - len(rb))
    if ra != rb:
        return -1 if ra < rb else 1
    # Same release: a pre-release (1.0rc1) comes before it, a post-release (1.0.post1) after.
    rest_a = rest_a or [(1, -1)]
    rest_b = rest_b or [(1, -1)]
    if rest_a == rest_b:
        return 0
    return -1 if rest_a < rest_b else 1


def _affected(version: str, affected: dict[str, Any]) -> bool:
    if version in (affected.get("versions") or []):
        return True
    for rng in affected.get("ranges") or []:
        if rng.get("type") not in ("SEMVER", "ECOSYSTEM"):
            continue
        events = rng.get("events") or []
        introduced = None
        for event in sorted(events, key=lambda e: cmp_to_key(compare)(_event_version(e))):
            if "introduced" in event:
                introduced = event["introduced"]
            elif introduced is not None and "fixed" in event:
                if _at_least(version, introduced) and compare(version, event["fixed"]) < 0:
                    return True
                introduced = None
            elif introduced is not None and "last_affected" in event:
                if _at_least(version, introduced) and compare(version, event["last_affected"]) <= 0:
                    return True
                introduced = None
            elif introduced is not None and "limit" in event:
                if _at_least(version, introduced) and compare(version, event["limit"]) < 0:
                    return True
                introduced = None
        if introduced is not None and _at_least(version, introduced):
            return True
    return False


def _event_version(event: dict[str, Any]) -> str:
    value = next(iter(event.values()), "0")
    return "0" if value == "0" else str(value)


def _at_least(version: str, introduced: str) -> bool:
    return introduced == "0" or compare(version, introduced) >= 0


# --- The database --------------------------------------------------------------------------------


class OsvDatabase:
    """An OSV export folder, indexed by (ecosystem, package name) for the ecosystems asked for."""

    def __init__(self, root: Path, ecosystems: set[str], deadline: float | None = None):
        self.root = root
        self.records: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self.files = 0
        wanted_dirs = {d for d in os.listdir(root) if d in ecosystems} if root.is_dir() else set()
        # OSV's own exports have one folder per ecosystem; read only those needed when so laid out.
        folders = [root / d for d in sorted(wanted_dirs)] or [root]
        for folder in folders:
            for dirpath, _dirs, names in os.walk(folder):
                for name in names:
                    if name.endswith(".json"):
                        self._load(Path(dirpath, name), ecosystems)
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError
        if not self.files:
            raise ValueError("no OSV records")

    def _load(self, path: Path, ecosystems: set[str]) -> None:
        try:
            if path.stat().st_size > MAX_OSV_FILE_BYTES:
                return
            record = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return
        self._index(record, ecosystems)

    def _index(self, record: object, ecosystems: set[str]) -> None:
        if not isinstance(record, dict) or not record.get("id"):
            return
        self.files += 1
        if record.get("withdrawn"):
            return
        for affected in record.get("affected") or []:
            package = (affected or {}).get("package") or {}
            ecosystem = str(package.get("ecosystem", "")).split(":", 1)[0]
            if ecosystem in ecosystems and package.get("name"):
                key = (ecosystem, normalise_name(ecosystem, str(package["name"])))
                self.records[key].append({"record": record, "affected": affected})

    def vulnerabilities(self, dep: Dependency) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(record, affected entry) of each vulnerability of the dependency's version, once even
        when the export holds it under several ids (GHSA, PYSEC, CVE aliases)."""
        found = []
        covered: set[str] = set()
        entries = sorted(self.records.get((dep.ecosystem, dep.name), []), key=lambda e: e["record"]["id"])
        for entry in entries:
            record = entry["record"]
            names = {record["id"], *(record.get("aliases") or [])}
            if names & covered or not _affected(dep.version, entry["affected"]):
                continue
            covered |= names
            found.append((record, entry["affected"]))
        return found


SEVERITY_WORDS = {
    "CRITICAL": "critical",
    "HIGH": "high",
    "MODERATE": "medium",
    "MEDIUM": "medium",
    "LOW": "low",
}


def severity_of(record: dict[str, Any], affected: dict[str, Any] | None = None) -> str:
    for source in (record.get("database_specific") or {}, (affected or {}).get("database_specific") or {}):
        word = str(source.get("severity", "")).upper()
        if word in SEVERITY_WORDS:
            return SEVERITY_WORDS[word]
    for item in record.get("severity") or []:
        score = _cvss_score(str(item.get("score", "")))
        if score is not None:
            return "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low"
    return "medium"


def _cvss_score(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        pass
    if not text.startswith("CVSS:3"):
        return None
    metrics = dict(part.split(":", 1) for part in text.split("/")[1:] if ":" in part)
    weights = {
        "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
        "AC": {"L": 0.77, "H": 0.44},
        "UI": {"N": 0.85, "R": 0.62},
        "CIA": {"H": 0.56, "L": 0.22, "N": 0.0},
    }
    try:
        changed = metrics["S"] == "C"
        pr = {"N": 0.85, "L": 0.68 if changed else 0.62, "H": 0.5 if changed else 0.27}[metrics["PR"]]
        iss = 1 - (1 - weights["CIA"][metrics["C"]]) * (1 - weights["CIA"][metrics["I"]]) * (
            1 - weights["CIA"][metrics["A"]]
        )
        impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
        exploitability = (
            8.22
            * weights["AV"][metrics["AV"]]
            * weights["AC"][metrics["AC"]]
            * pr
            * weights["UI"][metrics["UI"]]
        )
    except KeyError:
        return None
    if impact <= 0:
        return 0.0
    raw = min(1.08 * (impact + exploitability), 10) if changed else min(impact + exploitability, 10)
    return -(-raw * 10 // 1) / 10  # rounded up to one decimal, as CVSS specifies


class OsvApi(OsvDatabase):
    """The OSV web API (querybatch, then each vulnerability's record), where the network allows.

    The same matching is applied to the records it returns as to a local export."""

    BATCH = 500

    def __init__(self, base_url: str, dependencies: list[Dependency], deadline: float):
        self.records = defaultdict(list)
        self.files = 0
        self.base_url = base_url.rstrip("/")
        self.deadline = deadline
        ids: set[str] = set()
        for start in range(0, len(dependencies), self.BATCH):
            batch = dependencies[start : start + self.BATCH]
            queries = [
                {"package": {"ecosystem": d.ecosystem, "name": d.name}, "version": d.version} for d in batch
            ]
            answer = self._request("/v1/querybatch", {"queries": queries})
            for result in answer.get("results") or []:
                ids.update(str(v["id"]) for v in (result or {}).get("vulns") or [] if v.get("id"))
        ecosystems = {d.ecosystem for d in dependencies}
        for vuln_id in sorted(ids):
            record = self._request(f"/v1/vulns/{urllib.parse.quote(vuln_id, safe='')}")
            self._index(record, ecosystems)

    def _request(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        data = json.dumps(body).encode() if body is not None else None
        # api_url() admits https (or a local test server) only: never file: or other schemes.
        request = urllib.request.Request(  # noqa: S310
            self.base_url + path,
            data=data,
            method="POST" if body is not None else "GET",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=min(30.0, remaining)) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read(MAX_OSV_FILE_BYTES + 1))
            return answer


def data_dir() -> str:
    from django.conf import settings

    return str(getattr(settings, "OSV_DATA_DIR", "") or os.environ.get("OSV_DATA_DIR", "") or "")


def api_url() -> str:
    """The OSV API's base URL ("https://api.osv.dev"), or "" where the network does not allow it."""
    from django.conf import settings

    url = str(getattr(settings, "OSV_API_URL", "") or "")
    return url if url.startswith(("https://", "http://127.0.0.1", "http://localhost")) else ""


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
