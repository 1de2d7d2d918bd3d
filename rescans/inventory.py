"""Know the repository before judging it: languages, kinds of code, manifests, CI, containers.

One walk over the checkout (symlinks are never followed, files are read, never run) yields a
`scoring.evidence.RepositoryProfile` plus the list of source files with their language and kind
of code, which the analyzers reuse (the secrets scanner reads production files first, lizard
and Semgrep get the production files of the languages they read, and each analyzer's covered
lines are the production lines of the files it was given).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scoring.evidence import DOCS, FIXTURE, PRODUCTION, TEST, VENDORED, LanguageLines, RepositoryProfile
from scoring.paths import classify_path

# Programming languages by file extension. Markup, style sheets and SQL files (schemas and seed
# data) are left out: no analyzer reads them for security or complexity, so counting them would
# only dilute the coverage.
LANGUAGE_BY_EXTENSION = {
    ".py": "Python",
    ".pyi": "Python",
    ".js": "JavaScript",
    ".mjs": "JavaScript",
    ".cjs": "JavaScript",
    ".jsx": "JavaScript",
    ".ts": "TypeScript",
    ".mts": "TypeScript",
    ".cts": "TypeScript",
    ".tsx": "TypeScript",
    ".go": "Go",
    ".rs": "Rust",
    ".java": "Java",
    ".kt": "Kotlin",
    ".kts": "Kotlin",
    ".scala": "Scala",
    ".groovy": "Groovy",
    ".rb": "Ruby",
    ".php": "PHP",
    ".cs": "C#",
    ".c": "C",
    ".h": "C",
    ".cc": "C++",
    ".cpp": "C++",
    ".cxx": "C++",
    ".hpp": "C++",
    ".hh": "C++",
    ".m": "Objective-C",
    ".mm": "Objective-C",
    ".swift": "Swift",
    ".dart": "Dart",
    ".ex": "Elixir",
    ".exs": "Elixir",
    ".erl": "Erlang",
    ".lua": "Lua",
    ".pl": "Perl",
    ".pm": "Perl",
    ".r": "R",
    ".sh": "Shell",
    ".bash": "Shell",
    ".ps1": "PowerShell",
    ".vue": "Vue",
    ".svelte": "Svelte",
    ".sol": "Solidity",
    ".zig": "Zig",
    ".hs": "Haskell",
    ".fs": "F#",
    ".clj": "Clojure",
}
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
MAX_FILE_BYTES = 2 * 1024 * 1024
HEAD_CHARS = 1500

# Dependency manifests and lock files, by ecosystem (the OSV ecosystem names).
MANIFESTS = {
    "requirements.txt": "PyPI",
    "poetry.lock": "PyPI",
    "Pipfile": "PyPI",
    "Pipfile.lock": "PyPI",
    "pyproject.toml": "PyPI",
    "setup.py": "PyPI",
    "setup.cfg": "PyPI",
    "uv.lock": "PyPI",
    "pdm.lock": "PyPI",
    "package.json": "npm",
    "package-lock.json": "npm",
    "npm-shrinkwrap.json": "npm",
    "yarn.lock": "npm",
    "pnpm-lock.yaml": "npm",
    "go.mod": "Go",
    "go.sum": "Go",
    "Cargo.toml": "crates.io",
    "Cargo.lock": "crates.io",
    "pom.xml": "Maven",
    "build.gradle": "Maven",
    "build.gradle.kts": "Maven",
    "gradle.lockfile": "Maven",
    "Gemfile": "RubyGems",
    "Gemfile.lock": "RubyGems",
    "composer.json": "Packagist",
    "composer.lock": "Packagist",
    "packages.lock.json": "NuGet",
}
REQUIREMENTS_RE = re.compile(r"requirements[\w.-]*\.(txt|in)$", re.I)
LOCK_FILES = frozenset(
    {
        "poetry.lock",
        "Pipfile.lock",
        "uv.lock",
        "pdm.lock",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "go.sum",
        "Cargo.lock",
        "gradle.lockfile",
        "Gemfile.lock",
        "composer.lock",
        "packages.lock.json",
    }
)
ECOSYSTEM_LANGUAGES = {
    "PyPI": ("Python",),
    "npm": ("JavaScript", "TypeScript", "Vue", "Svelte"),
    "Go": ("Go",),
    "crates.io": ("Rust",),
    "Maven": ("Java", "Kotlin", "Scala", "Groovy"),
    "RubyGems": ("Ruby",),
    "Packagist": ("PHP",),
    "NuGet": ("C#", "F#"),
}

CI_FILE_RE = re.compile(
    r"""^(
        \.github/workflows/[^/]+\.ya?ml
      | \.gitlab-ci\.ya?ml | \.gitlab/ci/.+\.ya?ml
      | Jenkinsfile | jenkins/.*Jenkinsfile.*
      | \.circleci/config\.ya?ml
      | azure-pipelines\.ya?ml | \.azure-pipelines/.+\.ya?ml
      | \.travis\.ya?ml
      | bitbucket-pipelines\.ya?ml
      | \.drone\.ya?ml
      | \.woodpecker\.ya?ml | \.woodpecker/.+\.ya?ml
      | \.buildkite/.+\.ya?ml
      | appveyor\.ya?ml | \.appveyor\.ya?ml
      | cloudbuild\.ya?ml
    )$""",
    re.X,
)
# Commands that run a test suite, in any ecosystem (also through make, tox, nox or a script).
TEST_COMMAND_RE = re.compile(
    r"""(
        \bpytest\b | \bpy\.test\b | -m\ unittest\b | \btox\b | \bnox\b | manage\.py\ test\b
      | runtests | \bhatch\ (run\ )?test | \bgo\ test\b | \bgotestsum\b | \bginkgo\b
      | \bcargo\ (test|nextest)\b
      | \b(npm|pnpm|yarn|bun)\ (run\ )?test | \bnpx\ (jest|vitest|mocha|ava)\b | \bjest\b | \bvitest\b
      | \bmocha\b
      | \b(mvn|mvnw|maven)\b[^\n]*\b(test|verify|install|package)\b
      | \b(gradle|gradlew)\b[^\n]*\b(test|check|build)\b
      | \bmake\ (test|check|tests)\b | \bctest\b
      | \brspec\b | \brake\ (test|spec)\b | \bphpunit\b | \bpest\b | \bdotnet\ test\b | \bmix\ test\b
      | \bscripts?/test | \btest\.sh\b
    )""",
    re.X,
)
CONTAINER_FILE_RE = re.compile(
    r"""^(
        (Dockerfile|Containerfile)([.-][\w.-]+)? | [\w.-]+\.(Dockerfile|dockerfile)
      | (docker-)?compose([.-][\w.-]+)?\.ya?ml
    )$""",
    re.X,
)
# A CI step or job named after tests ("name: Run tests", "test:" job in GitLab).
TEST_STEP_RE = re.compile(r"^\s*(-\s*)?(name:\s*[^\n]*\btests?\b|tests?:\s*$|stage:\s*tests?\b)", re.M | re.I)
MAKE_TARGET_RE = re.compile(r"\bmake\s+(?:-\S+\s+)*([A-Za-z0-9_.-]+)")
HEALTHCHECK_RE = re.compile(
    r"^\s*HEALTHCHECK\s+(?!NONE\b)|^\s*healthcheck:\s*$|\b(livenessProbe|readinessProbe):", re.M | re.I
)
HEALTHCHECK_NONE_RE = re.compile(r"^\s*HEALTHCHECK\s+NONE\b", re.M | re.I)
KUBERNETES_HINT_RE = re.compile(r"\b(livenessProbe|readinessProbe):")
README_RE = re.compile(r"readme(\.(md|markdown|rst|txt|adoc|org))?$", re.I)
MARKDOWN_HEADING_RE = re.compile(r"^(#{1,6}\s+\S|[^\n]+\n(=+|-+|~+|\^+)\s*$)", re.M)
README_USAGE_RE = re.compile(
    r"^(#{1,6}\s*|\W*)(install|installation|usage|getting started|quick ?start|setup|set-up|how to)",
    re.M | re.I,
)
DOCS_FOLDERS = frozenset({"docs", "doc", "documentation", "website"})
# A README that points to installation ("read docs/intro/install.txt for instructions on
# installing") or shows the command explains use as well as a heading does; so does an INSTALL
# file beside it.
README_INSTALL_RE = re.compile(
    r"\b(install(ing|ation)?|pip install|npm (i|install)|yarn add|go get|cargo add)\b"
    r"|^#{1,6}[^\n]*\b(examples?|usage)\b",  # "## A Simple Example"
    re.I | re.M,
)
INSTALL_FILE_RE = re.compile(r"^install(\.(md|rst|txt|adoc))?$", re.I)
# Release notes kept in the documentation (docs/releases/5.2.txt, docs/changelog.md).
RELEASE_NOTES_RE = re.compile(
    r"^[^/]+/(.+/)?(changelog|changes|history|news|releases?|release[-_ ]notes)(/|\.\w+$|$)", re.I
)
# Packaging metadata at the root: the repository can be installed and imported by others.
LIBRARY_MANIFESTS = frozenset(
    {
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "package.json",
        "go.mod",
        "Cargo.toml",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
        "composer.json",
    }
)
# Signs of a program that is deployed and run: a platform file, a web framework's launcher.
SERVICE_FILE_RE = re.compile(
    r"^(Procfile|app\.ya?ml|fly\.toml|serverless\.ya?ml|vercel\.json|netlify\.toml|Chart\.yaml|manage\.py)$"
)
# An entry point in production code: Go's main package, a Java or Kotlin main, Spring Boot.
PROGRAM_ENTRY_RE = {
    "Go": re.compile(r"^package\s+main\b", re.M),
    "Java": re.compile(r"\bpublic\s+static\s+void\s+main\s*\(|@SpringBootApplication\b"),
    "Kotlin": re.compile(r"^fun\s+main\s*\(|@SpringBootApplication\b", re.M),
    # A script's main block that starts a server (app.run, uvicorn.run, serve_forever).
    "Python": re.compile(
        r"""^if\s+__name__\s*==\s*["']__main__["']\s*:[^\n]*\n(?:(?:[ \t][^\n]*)?\n)*?[ \t]+[^\n]*"""
        r"""\b(?:\w+\.run|serve_forever|run_simple)\(""",
        re.M,
    ),
    # A top-level statement that opens a port: app.listen(3000), http.createServer(app).listen(80).
    "JavaScript": re.compile(r"^[A-Za-z_$][\w$.]*(?:\([^\n]*\))?\.listen\(", re.M),
    "TypeScript": re.compile(r"^[A-Za-z_$][\w$.]*(?:\([^\n]*\))?\.listen\(", re.M),
}
RUST_BINARY_RE = re.compile(r"(^|/)src/(main\.rs|bin/[^/]+)$")

# Logging and metrics libraries of each ecosystem, found in manifests or imports. "Structured"
# means the library writes fields or JSON (not bare strings): structlog, zap, pino, tracing...
# A name ending in "/" or "-" is a prefix (a family of packages).
STRUCTURED_LOGGING = {
    "PyPI": ("structlog", "python-json-logger", "pythonjsonlogger", "loguru", "json-log-formatter", "eliot"),
    "npm": ("pino", "winston", "bunyan", "@nestjs/common", "roarr", "loglevel", "signale"),
    "Go": (
        "go.uber.org/zap",
        "github.com/sirupsen/logrus",
        "github.com/rs/zerolog",
        "log/slog",
        "github.com/go-kit/log",
        "github.com/hashicorp/go-hclog",
        "github.com/apex/log",
        "github.com/charmbracelet/log",
    ),
    "crates.io": ("tracing", "slog", "log4rs", "tracing-subscriber"),
    "Maven": (
        "logstash-logback-encoder",
        "log4j-layout-template-json",
        "logback-classic",
        "log4j-core",
        "slf4j",
    ),
    "RubyGems": ("lograge", "semantic_logger", "ougai"),
    "Packagist": ("monolog/monolog",),
}
METRICS = {
    "PyPI": (
        "prometheus-client",
        "prometheus_client",
        "django-prometheus",
        "django_prometheus",
        "statsd",
        "opentelemetry",
        "datadog",
        "ddtrace",
        "sentry-sdk",
        "sentry_sdk",
    ),
    "npm": (
        "prom-client",
        "@opentelemetry/",
        "hot-shots",
        "statsd",
        "dd-trace",
        "@sentry/",
        "express-prom-bundle",
    ),
    "Go": (
        "github.com/prometheus/client_golang",
        "go.opentelemetry.io/otel",
        "github.com/DataDog/",
        "github.com/getsentry/sentry-go",
        "expvar",
        "github.com/rcrowley/go-metrics",
        "github.com/armon/go-metrics",
    ),
    "crates.io": ("prometheus", "metrics", "opentelemetry", "sentry"),
    "Maven": (
        "micrometer-",
        "simpleclient",
        "spring-boot-starter-actuator",
        "opentelemetry-",
        "metrics-core",
    ),
    "RubyGems": ("prometheus-client", "yabeda", "statsd-instrument", "sentry-ruby", "newrelic_rpm"),
    "Packagist": ("promphp/prometheus_client_php", "sentry/sentry"),
}
TRACING = {
    "PyPI": ("opentelemetry-sdk", "opentelemetry", "ddtrace", "jaeger-client", "elastic-apm", "py_zipkin"),
    "npm": ("@opentelemetry/", "dd-trace", "jaeger-client", "elastic-apm-node", "zipkin"),
    "Go": (
        "go.opentelemetry.io/otel",
        "gopkg.in/DataDog/dd-trace-go",
        "github.com/DataDog/dd-trace-go",
        "github.com/uber/jaeger-client-go",
        "github.com/openzipkin/zipkin-go",
    ),
    "crates.io": ("opentelemetry", "tracing-opentelemetry"),
    "Maven": (
        "opentelemetry-",
        "micrometer-tracing",
        "spring-cloud-starter-sleuth",
        "brave",
        "dd-java-agent",
    ),
    "RubyGems": ("opentelemetry-sdk", "ddtrace"),
    "Packagist": ("open-telemetry/",),
}
# A health or readiness route in the code, or a library that serves one.
# A route is a string with a slash before ("/api/healthz") or after ("healthz/") the name, so a
# plain word "health" in the code does not count.
HEALTH_NAMES = r"(?:health|healthz|healthcheck|health-check|readyz|livez|readiness|liveness)"
HEALTH_ROUTE_RE = re.compile(
    rf"""["'`](?:(?:/[\w-]+)*/{HEALTH_NAMES}/?|(?:[\w-]+/)*{HEALTH_NAMES}/)["'`]""",
    re.I,
)
HEALTH_LIBRARIES = {
    "PyPI": ("django-health-check", "health_check", "py-healthcheck"),
    "npm": ("@nestjs/terminus", "@godaddy/terminus", "express-healthcheck"),
    "Go": (
        "github.com/heptiolabs/healthcheck",
        "github.com/hellofresh/health-go",
        "github.com/alexliesenfeld/health",
    ),
    "Maven": ("spring-boot-starter-actuator",),
    "RubyGems": ("health_check", "okcomputer"),
}
# Plain logging through the standard library counts as logging, not as structured logging.
LOGGING_IMPORT_RE = {
    "Python": re.compile(r"^\s*(import logging\b|from logging\b|logger\s*=)", re.M),
    "Go": re.compile(r'"log"|"log/slog"'),
    "Rust": re.compile(r"\b(log|tracing)::"),
    "Java": re.compile(r"\bimport\s+(org\.slf4j|java\.util\.logging|org\.apache\.logging|ch\.qos\.logback)"),
    "Kotlin": re.compile(r"\bimport\s+(org\.slf4j|mu\.KotlinLogging|java\.util\.logging)"),
}


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
    duration_s: float = 0.0

    def production_files(self, languages: frozenset[str] | set[str] | None = None) -> list[SourceFile]:
        return [
            f for f in self.files if f.kind == PRODUCTION and (languages is None or f.language in languages)
        ]

    def lines_by_path(self) -> dict[str, SourceFile]:
        return {f.path: f for f in self.files}


def _read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > limit:
            return ""
        return path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""


def walk(root: Path, *, deadline: float | None = None) -> list[str]:
    """Repository-relative paths of the regular files under root; symlinks are never followed
    (neither linked folders nor linked files are listed)."""
    found: list[str] = []
    for dirpath, dirs, names in os.walk(root, followlinks=False):
        base = Path(dirpath)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not (base / d).is_symlink())
        rel_dir = base.relative_to(root).as_posix()
        for name in sorted(names):
            if (base / name).is_symlink():
                continue
            found.append(name if rel_dir == "." else f"{rel_dir}/{name}")
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError("the repository is too large to list in time")
    return found


def ecosystem_of(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    if name in MANIFESTS:
        return MANIFESTS[name]
    if REQUIREMENTS_RE.match(name):
        return "PyPI"
    if name.endswith(".csproj"):
        return "NuGet"
    return ""


def build_inventory(root: Path, *, timeout_s: float = 600.0) -> Inventory:
    """Walk the checkout once and describe it. Reads at most MAX_FILE_BYTES of each file."""
    started = time.monotonic()
    root = Path(root)
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

    for rel in paths:
        suffix = os.path.splitext(rel)[1].lower()
        language = LANGUAGE_BY_EXTENSION.get(suffix)
        if language is None:
            continue
        text = _read_text(root / rel)
        if not text:
            try:
                if (root / rel).stat().st_size > MAX_FILE_BYTES:
                    skipped_large += 1
            except OSError:
                pass
            continue
        kind = classify_path(rel, text[:HEAD_CHARS])
        count = sum(1 for line in text.splitlines() if line.strip())
        lines[language][kind] += count
        files.append(SourceFile(rel, language, kind, count))
        if kind == PRODUCTION:
            eco = _LANGUAGE_ECOSYSTEM.get(language)
            if eco:
                practices_text[eco].append(_imports_of(text))
            pattern = LOGGING_IMPORT_RE.get(language)
            if pattern is not None and not logging_seen and pattern.search(text):
                logging_seen = True
            if not health_route and HEALTH_ROUTE_RE.search(text):
                health_route = rel
            entry = PROGRAM_ENTRY_RE.get(language)
            if not program_entry and (
                (entry is not None and entry.search(text))
                or (language == "Rust" and RUST_BINARY_RE.search(rel))
            ):
                program_entry = rel

    manifests: list[str] = []
    ecosystems: set[str] = set()
    ci_files: list[str] = []
    container_files: list[str] = []
    for rel in paths:
        kind = classify_path(rel)
        name = rel.rsplit("/", 1)[-1]
        eco = ecosystem_of(rel)
        if eco and kind in (PRODUCTION, TEST):
            manifests.append(rel)
            ecosystems.add(eco)
            practices_text[eco].append(_read_text(root / rel))
        if CI_FILE_RE.match(rel):
            ci_files.append(rel)
        if CONTAINER_FILE_RE.match(name) and kind == PRODUCTION:
            container_files.append(rel)

    makefile = _read_text(root / "Makefile") or _read_text(root / "makefile")
    ci_running_tests = [rel for rel in ci_files if _runs_tests(_read_text(root / rel), makefile)]
    healthchecks = [rel for rel in container_files if _has_healthcheck(_read_text(root / rel))]
    dockerfiles = [rel for rel in container_files if "compose" not in rel.rsplit("/", 1)[-1].lower()]
    kubernetes_probes = [
        rel
        for rel in paths
        if rel.endswith((".yaml", ".yml"))
        and classify_path(rel) == PRODUCTION
        and not CI_FILE_RE.match(rel)
        and KUBERNETES_HINT_RE.search(_read_text(root / rel, 256 * 1024))
    ]
    readme = next((rel for rel in paths if "/" not in rel and README_RE.match(rel)), "")
    readme_text = _read_text(root / readme) if readme else ""
    if not readme:
        readme, readme_text = _package_readme(root, paths)
    readme_headings = len(MARKDOWN_HEADING_RE.findall(readme_text))
    readme_words = len(readme_text.split())
    docs_files = [rel for rel in paths if rel.split("/", 1)[0].lower() in DOCS_FOLDERS and "/" in rel]

    structured = sorted(
        {
            lib
            for eco, texts in practices_text.items()
            for lib in _mentioned(STRUCTURED_LOGGING.get(eco, ()), texts)
        }
    )
    tracing = sorted(
        {lib for eco, texts in practices_text.items() for lib in _mentioned(TRACING.get(eco, ()), texts)}
    )
    health_libraries = sorted(
        {
            lib
            for eco, texts in practices_text.items()
            for lib in _mentioned(HEALTH_LIBRARIES.get(eco, ()), texts)
        }
    )
    metrics = sorted(
        {lib for eco, texts in practices_text.items() for lib in _mentioned(METRICS.get(eco, ()), texts)}
    )

    languages = tuple(
        LanguageLines(language=lang, **counts)
        for lang, counts in sorted(lines.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    )
    test_files = [f for f in files if f.kind == TEST]
    packaged = sorted(rel for rel in paths if rel in LIBRARY_MANIFESTS)
    service_signs = _service_signs(root, paths, container_files, kubernetes_probes, program_entry, packaged)
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
        "container_non_root": bool(dockerfiles)
        and all(_drops_root(_read_text(root / d)) for d in dockerfiles),
        "lock_file": any(m.rsplit("/", 1)[-1] in LOCK_FILES for m in manifests)
        or any(
            _pinned(_read_text(root / m)) for m in manifests if REQUIREMENTS_RE.match(m.rsplit("/", 1)[-1])
        ),
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
    return Inventory(profile=profile, files=files, details=details, duration_s=time.monotonic() - started)


_LANGUAGE_ECOSYSTEM = {lang: eco for eco, langs in ECOSYSTEM_LANGUAGES.items() for lang in langs}
# Import statements of most languages, CommonJS require(), and Go's parenthesised import lines.
_IMPORT_LINE_RE = re.compile(
    r"""^\s*(import|from|use|require|using|extern\ crate)\b.*$
      | \brequire\(['"][^'"]+['"]\)
      | ^\s*"[\w./-]+"\s*$""",
    re.M | re.X,
)


def _imports_of(text: str) -> str:
    """The import lines of a source file (enough to tell which libraries it uses)."""
    return "\n".join(m.group(0) for m in _IMPORT_LINE_RE.finditer(text[:200_000]))


def _mentioned(libraries: tuple[str, ...], texts: list[str]) -> set[str]:
    found = set()
    for lib in libraries:
        pattern = re.compile(
            r"(?<![\w.-])" + re.escape(lib) + (r"" if lib.endswith(("/", "-")) else r"(?![\w-])")
        )
        if any(pattern.search(text) for text in texts):
            found.add(lib)
    return found


def _package_readme(root: Path, paths: list[str]) -> tuple[str, str]:
    """No README at the root: a workspace or monorepo documents each package in its own folder
    (the root one is often a symbolic link, removed before analysis). The fullest README of a
    first-level production folder stands for the repository's."""
    candidates = [
        rel
        for rel in paths
        if rel.count("/") == 1 and README_RE.match(rel.split("/", 1)[1]) and classify_path(rel) == PRODUCTION
    ]
    texts = {rel: _read_text(root / rel) for rel in candidates}
    best = max(sorted(texts), key=lambda rel: len(texts[rel].split()), default="")
    return best, texts.get(best, "")


def _service_signs(
    root: Path,
    paths: list[str],
    containers: list[str],
    probes: list[str],
    program_entry: str,
    packaged: list[str],
) -> list[str]:
    """Why the repository looks like a program that is deployed and run, not a library. A
    package.json beside another ecosystem's packaging only lists tools (linters, test runners):
    it says nothing about what the repository is."""
    signs = [f"container file {rel}" for rel in containers[:1]]
    signs += [f"Kubernetes probes in {rel}" for rel in probes[:1]]
    platform = [
        rel
        for rel in paths
        if SERVICE_FILE_RE.match(rel.rsplit("/", 1)[-1]) and classify_path(rel) == PRODUCTION
    ]
    signs += [f"platform or launcher file {rel}" for rel in platform[:1]]
    if program_entry:
        signs.append(f"program entry point {program_entry}")
    if packaged == ["package.json"]:
        try:
            package = json.loads(_read_text(root / "package.json") or "{}")
        except ValueError:
            package = {}
        if isinstance(package, dict):
            scripts = package.get("scripts")
            if package.get("private") is True:
                signs.append("package.json is private (never published)")
            elif isinstance(scripts, dict) and "start" in scripts:
                signs.append("package.json has a start script")
    return signs


def _runs_tests(ci_text: str, makefile: str) -> bool:
    """A test command in the CI file, a step named after tests, or a make target that runs one."""
    if TEST_COMMAND_RE.search(ci_text) or TEST_STEP_RE.search(ci_text):
        return True
    for target in MAKE_TARGET_RE.findall(ci_text):
        recipe = re.search(rf"^{re.escape(target)}\s*:[^\n]*\n((?:\t[^\n]*\n?)*)", makefile, re.M)
        if recipe and TEST_COMMAND_RE.search(recipe.group(1)):
            return True
    return False


def _drops_root(dockerfile: str) -> bool:
    """The last stage of the Dockerfile switches to a user other than root."""
    user = None
    for line in dockerfile.splitlines():
        instruction = line.strip().split(None, 1)
        if not instruction:
            continue
        if instruction[0].upper() == "FROM":
            user = None  # every stage starts as root
        elif instruction[0].upper() == "USER" and len(instruction) > 1:
            user = instruction[1].strip().split(":")[0]
    return user not in (None, "", "root", "0")


def _has_healthcheck(text: str) -> bool:
    return bool(HEALTHCHECK_RE.search(text)) and not HEALTHCHECK_NONE_RE.search(text)


PIN_RE = re.compile(r"^[A-Za-z0-9._\-\[\],]+\s*===?\s*[^\s;]+")


def _pinned(requirements: str) -> bool:
    """Every requirement of the file names one exact version (options and comments aside)."""
    wanted = [line.split("#", 1)[0].strip() for line in requirements.splitlines()]
    wanted = [line for line in wanted if line and not line.startswith("-")]
    return bool(wanted) and all(PIN_RE.match(line) for line in wanted)


def _count_by_language(files: list[SourceFile]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for f in files:
        counts[f.language] += 1
    return dict(sorted(counts.items()))
