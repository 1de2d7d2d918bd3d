"""The exact versions a repository pins: lock files and pinned manifests of each ecosystem
(PyPI, npm, Go, crates.io, Maven, RubyGems, Packagist). Nothing is installed or resolved; a range
like "^1.2" pins nothing and is not listed."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree

from rescans.practices import REQUIREMENTS_RE

MAX_MANIFEST_BYTES = 20 * 1024 * 1024


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


# What a manifest the parsers cannot read raises (LookupError: an XML declaration naming an
# encoding Python does not know).
UNREADABLE = (OSError, ValueError, KeyError, TypeError, AttributeError, LookupError, ElementTree.ParseError)


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
        except UNREADABLE:
            unreadable.append(rel)
            continue
        for dep_name, version in pins:
            key = (ecosystem, normalise_name(ecosystem, dep_name), normalise_version(ecosystem, version))
            found.setdefault(key, Dependency(ecosystem, key[1], key[2], rel))
    return sorted(found.values(), key=lambda d: (d.ecosystem, d.name, d.version)), unreadable


# --- Versions ------------------------------------------------------------------------------------
