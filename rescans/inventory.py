"""Know the repository before judging it: languages, kinds of code, manifests, CI, containers.

One walk over the checkout (symlinks are never followed, files are read, never run) yields a
`scoring.evidence.RepositoryProfile` plus the list of source files with their language and kind
of code, which the analyzers reuse (the secrets scanner reads production files first, lizard
and Semgrep get the production files of the languages they read, and each analyzer's covered
lines are the production lines of the files it was given).
"""

from __future__ import annotations

import functools
import os
import re
import stat
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rescans.file_memo import CheckoutMemo, file_identity
from rescans.languages import CODE_LANGUAGE_BY_EXTENSION
from rescans.practices import (
    CI_FILE_RE,
    CONTAINER_FILE_RE,
    DOCS_FOLDERS,
    HEALTH_LIBRARIES,
    HEALTH_ROUTE_RE,
    INSTALL_FILE_RE,
    KUBERNETES_HINT_RE,
    LANGUAGE_ECOSYSTEM,
    LIBRARY_MANIFESTS,
    LOCK_FILES,
    LOGGING_IMPORT_RE,
    MARKDOWN_HEADING_RE,
    MAX_FILE_BYTES,
    METRICS,
    PROGRAM_ENTRY_RE,
    README_INSTALL_RE,
    README_RE,
    README_USAGE_RE,
    RELEASE_NOTES_RE,
    REQUIREMENTS_RE,
    RUST_BINARY_RE,
    STRUCTURED_LOGGING,
    TRACING,
    drops_root,
    ecosystem_of,
    has_healthcheck,
    imports_of,
    mentioned,
    package_readme,
    pinned,
    read_text,
    runs_tests,
    service_signs_of,
)
from scoring.evidence import DOCS, FIXTURE, PRODUCTION, TEST, VENDORED, LanguageLines, RepositoryProfile
from scoring.paths import classify_path

# Never descended into: version control, local environments and caches (not the repository's
# code even when committed by mistake; vendored trees like node_modules are walked and counted
# as vendored by classify_path).
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".eggs",
        ".gradle",
        ".idea",
        ".vscode",
    }
)
HEAD_CHARS = 1500


@dataclass(frozen=True)
class SourceFile:
    path: str  # repository-relative, forward slashes
    language: str
    kind: str  # a scoring.evidence code kind
    lines: int  # non-blank lines


@dataclass
class Inventory:
    profile: RepositoryProfile
    files: list[SourceFile] = field(default_factory=list)
    # Everything else the pages show: file counts, README size, which CI files run tests...
    details: dict[str, Any] = field(default_factory=dict)
    # Every regular file of the checkout (`walk`), so analyzers need not walk it again.
    paths: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def production_files(self, languages: frozenset[str] | set[str] | None = None) -> list[SourceFile]:
        return [
            f for f in self.files if f.kind == PRODUCTION and (languages is None or f.language in languages)
        ]

    def lines_by_path(self) -> dict[str, SourceFile]:
        return {f.path: f for f in self.files}


def walk(root: Path, *, deadline: float | None = None) -> list[str]:
    """Repository-relative paths of the regular files under root; symlinks are never followed
    (neither linked folders nor linked files are listed). Folders are listed before their
    subfolders, each level in name order."""
    found: list[str] = []
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        files: list[str] = []
        dirs: list[str] = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_symlink():
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in SKIP_DIRS:
                            dirs.append(entry.name)
                    else:
                        files.append(entry.name)
        except OSError:
            continue  # as os.walk: a folder that cannot be listed is left out
        found += [prefix + name for name in sorted(files)]
        stack += [(os.path.join(folder, name), f"{prefix}{name}/") for name in sorted(dirs, reverse=True)]
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError("the repository is too large to list in time")
    return found


@dataclass(frozen=True)
class _FileFacts:
    """What the inventory reads from one source file (None for a file it skips)."""

    language: str
    kind: str
    lines: int
    imports: str | None  # production files of an ecosystem: their imports
    logging: bool
    health_route: bool
    program_entry: bool


# What the inventory read from each source file of the last checkouts it walked (file_memo):
# a worker re-scanning a kept checkout reads again only the files git rewrote.
_MEMO: CheckoutMemo[tuple[_FileFacts | None, bool]] = CheckoutMemo()


def _file_facts(root: Path, rel: str, language: str) -> tuple[_FileFacts | None, bool]:
    """(facts, too large) of one source file."""
    text = read_text(root / rel)
    if not text:
        try:
            return None, (root / rel).stat().st_size > MAX_FILE_BYTES
        except OSError:
            return None, False
    kind = classify_path(rel, text[:HEAD_CHARS])
    count = sum(1 for line in text.splitlines() if line.strip())
    if kind != PRODUCTION:
        return _FileFacts(language, kind, count, None, False, False, False), False
    pattern = LOGGING_IMPORT_RE.get(language)
    entry = PROGRAM_ENTRY_RE.get(language)
    return (
        _FileFacts(
            language,
            kind,
            count,
            imports_of(text) if LANGUAGE_ECOSYSTEM.get(language) else None,
            bool(pattern is not None and pattern.search(text)),
            bool(HEALTH_ROUTE_RE.search(text)),
            bool(
                (entry is not None and entry.search(text))
                or (language == "Rust" and RUST_BINARY_RE.search(rel))
            ),
        ),
        False,
    )


def _source_facts(root: Path, paths: list[str]) -> list[tuple[str, _FileFacts | None, bool]]:
    """(path, facts, too large) of every source file, from the memo when its identity is unchanged."""
    memo = _MEMO.files(root)
    result = []
    for rel in paths:
        language = CODE_LANGUAGE_BY_EXTENSION.get(os.path.splitext(rel)[1].lower())
        if language is None:
            continue
        identity = file_identity(root / rel)
        known = _MEMO.get(memo, rel, identity)
        if known is None:
            known = _file_facts(root, rel, language)
            if identity is not None and identity == file_identity(root / rel):  # not rewritten meanwhile
                memo[rel] = (identity, known)
        result.append((rel, *known))
    return result


# The kind of code a path alone tells (no file read): a pure function of the path.
_path_kind = functools.lru_cache(maxsize=1 << 16)(classify_path)


def candidate_files(root: Path, paths: list[str], languages: frozenset[str]) -> list[str]:
    """The files of `paths` (a `walk` of root) that may be production files of these languages,
    told without reading them: every file of `build_inventory(root).production_files(languages)`
    and only a few more. A file's content can only make it vendored (a generated header, a
    copied library), and the inventory leaves out empty files and files over MAX_FILE_BYTES."""
    found = []
    for rel in paths:
        if CODE_LANGUAGE_BY_EXTENSION.get(os.path.splitext(rel)[1].lower()) not in languages:
            continue
        if _path_kind(rel) != PRODUCTION:
            continue
        try:
            info = os.lstat(root / rel)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and 0 < info.st_size <= MAX_FILE_BYTES:
            found.append(rel)
    return found


def build_inventory(root: Path, *, timeout_s: float = 600.0, paths: list[str] | None = None) -> Inventory:
    """Walk the checkout once (unless given its `walk`, `paths`) and describe it. Reads at most
    MAX_FILE_BYTES of each file."""
    started = time.monotonic()
    root = Path(root)
    if paths is None:
        paths = walk(root, deadline=started + timeout_s)
    lines: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys((PRODUCTION, TEST, FIXTURE, DOCS, VENDORED), 0)
    )
    files: list[SourceFile] = []
    practices_text: dict[str, list[str]] = defaultdict(list)  # ecosystem -> texts to search
    logging_seen = False
    health_route = ""
    program_entry = ""  # the first production file that starts a program
    skipped_large = 0

    for rel, facts, large in _source_facts(root, paths):
        if facts is None:
            skipped_large += large
            continue
        language, kind, count = facts.language, facts.kind, facts.lines
        lines[language][kind] += count
        files.append(SourceFile(rel, language, kind, count))
        if kind == PRODUCTION:
            eco = LANGUAGE_ECOSYSTEM.get(language)
            if eco and facts.imports is not None:
                practices_text[eco].append(facts.imports)
            logging_seen = logging_seen or facts.logging
            if not health_route and facts.health_route:
                health_route = rel
            if not program_entry and facts.program_entry:
                program_entry = rel

    manifests: list[str] = []
    ecosystems: set[str] = set()
    ci_files: list[str] = []
    container_files: list[str] = []
    for rel in paths:
        kind = _path_kind(rel)
        name = rel.rsplit("/", 1)[-1]
        eco = ecosystem_of(rel)
        if eco and kind in (PRODUCTION, TEST):
            manifests.append(rel)
            ecosystems.add(eco)
            practices_text[eco].append(read_text(root / rel))
        if CI_FILE_RE.match(rel):
            ci_files.append(rel)
        if CONTAINER_FILE_RE.match(name) and kind == PRODUCTION:
            container_files.append(rel)

    makefile = read_text(root / "Makefile") or read_text(root / "makefile")
    ci_running_tests = [rel for rel in ci_files if runs_tests(read_text(root / rel), makefile)]
    healthchecks = [rel for rel in container_files if has_healthcheck(read_text(root / rel))]
    dockerfiles = [rel for rel in container_files if "compose" not in rel.rsplit("/", 1)[-1].lower()]
    kubernetes_probes = [
        rel
        for rel in paths
        if rel.endswith((".yaml", ".yml"))
        and _path_kind(rel) == PRODUCTION
        and not CI_FILE_RE.match(rel)
        and KUBERNETES_HINT_RE.search(read_text(root / rel, 256 * 1024))
    ]
    readme = next((rel for rel in paths if "/" not in rel and README_RE.match(rel)), "")
    readme_text = read_text(root / readme) if readme else ""
    if not readme:
        readme, readme_text = package_readme(root, paths)
    readme_headings = len(MARKDOWN_HEADING_RE.findall(readme_text))
    readme_words = len(readme_text.split())
    docs_files = [rel for rel in paths if rel.split("/", 1)[0].lower() in DOCS_FOLDERS and "/" in rel]

    structured = sorted(
        {
            lib
            for eco, texts in practices_text.items()
            for lib in mentioned(STRUCTURED_LOGGING.get(eco, ()), texts)
        }
    )
    tracing = sorted(
        {lib for eco, texts in practices_text.items() for lib in mentioned(TRACING.get(eco, ()), texts)}
    )
    health_libraries = sorted(
        {
            lib
            for eco, texts in practices_text.items()
            for lib in mentioned(HEALTH_LIBRARIES.get(eco, ()), texts)
        }
    )
    metrics = sorted(
        {lib for eco, texts in practices_text.items() for lib in mentioned(METRICS.get(eco, ()), texts)}
    )

    languages = tuple(
        LanguageLines(language=lang, **counts)
        for lang, counts in sorted(lines.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    )
    test_files = [f for f in files if f.kind == TEST]
    packaged = sorted(rel for rel in paths if rel in LIBRARY_MANIFESTS)
    service_signs = service_signs_of(root, paths, container_files, kubernetes_probes, program_entry, packaged)
    practices = {
        "library": bool(packaged) and not service_signs,
        "readme": bool(readme),
        "readme_sections": readme_headings >= 3 and readme_words >= 150,
        "readme_usage": bool(README_USAGE_RE.search(readme_text) or README_INSTALL_RE.search(readme_text))
        or any(INSTALL_FILE_RE.match(rel) for rel in paths),
        "docs_folder": bool(docs_files),
        "tests_present": bool(test_files),
        "ci": bool(ci_files),
        "ci_runs_tests": bool(ci_running_tests),
        "container": bool(container_files),
        "container_healthcheck": bool(healthchecks or kubernetes_probes),
        "container_non_root": bool(dockerfiles) and all(drops_root(read_text(root / d)) for d in dockerfiles),
        "lock_file": any(m.rsplit("/", 1)[-1] in LOCK_FILES for m in manifests)
        or any(pinned(read_text(root / m)) for m in manifests if REQUIREMENTS_RE.match(m.rsplit("/", 1)[-1])),
        "structured_logging": bool(structured),
        "logging": bool(structured) or logging_seen,
        "metrics": bool(metrics),
        "tracing": bool(tracing),
        "health_endpoint": bool(health_route or health_libraries),
        "license": any(
            "/" not in rel and re.match(r"(licen[cs]e|copying)(\.\w+)?$", rel, re.I) for rel in paths
        ),
        "changelog": any(
            "/" not in rel and re.match(r"(changelog|changes|history|news)(\.\w+)?$", rel, re.I)
            for rel in paths
        )
        or any(RELEASE_NOTES_RE.match(rel) for rel in docs_files),
        "security_policy": any(re.match(r"(\.github/)?security(\.\w+)?$", rel, re.I) for rel in paths),
        "dependency_updates": any(
            rel
            in (".github/dependabot.yml", ".github/dependabot.yaml", "renovate.json", ".github/renovate.json")
            or rel.startswith(".renovaterc")
            for rel in paths
        ),
    }
    profile = RepositoryProfile(
        languages=languages,
        manifests=tuple(manifests),
        ecosystems=tuple(sorted(ecosystems)),
        ci_files=tuple(ci_files),
        container_files=tuple(container_files),
        practices=practices,
    )
    details = {
        "files": len(paths),
        "source_files": len(files),
        "skipped_large_files": skipped_large,
        "test_files_by_language": _count_by_language(test_files),
        "ci_files_running_tests": ci_running_tests,
        "healthchecks": healthchecks + kubernetes_probes,
        "readme": readme,
        "readme_words": readme_words,
        "readme_headings": readme_headings,
        "docs_files": len(docs_files),
        "structured_logging_libraries": structured,
        "metrics_libraries": metrics,
        "tracing_libraries": tracing,
        "health_endpoint": health_route or ", ".join(health_libraries),
        "packaging": packaged,
        "service_signs": service_signs,
    }
    return Inventory(
        profile=profile, files=files, details=details, paths=paths, duration_s=time.monotonic() - started
    )


def _count_by_language(files: list[SourceFile]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for f in files:
        counts[f.language] += 1
    return dict(sorted(counts.items()))
