"""The OSV database: records read from a local export (OSV's own JSON format, one vulnerability
per file, any folder layout) or asked from the OSV API, version ranges matched per ecosystem, and
the severity a record states."""

from __future__ import annotations

import json
import os
import re
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from functools import cmp_to_key
from pathlib import Path
from typing import Any

from rescans.scanners.manifests import Dependency, normalise_name

MAX_OSV_FILE_BYTES = 5 * 1024 * 1024

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
