"""What the signs of a practice look like in a repository, in every ecosystem: dependency
manifests and lock files, CI files that run tests, container files and health checks, README
depth, structured logging, metrics and tracing libraries, health routes. Read by the inventory
(`rescans/inventory.py`) as it walks the checkout."""

from __future__ import annotations

import json
import re
from pathlib import Path

from scoring.evidence import PRODUCTION
from scoring.paths import classify_path

# Files are read up to this size; a larger one reads as empty.
MAX_FILE_BYTES = 2 * 1024 * 1024

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


def ecosystem_of(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    if name in MANIFESTS:
        return MANIFESTS[name]
    if REQUIREMENTS_RE.match(name):
        return "PyPI"
    if name.endswith(".csproj"):
        return "NuGet"
    return ""


LANGUAGE_ECOSYSTEM = {lang: eco for eco, langs in ECOSYSTEM_LANGUAGES.items() for lang in langs}
# Import statements of most languages, CommonJS require(), and Go's parenthesised import lines.
IMPORT_LINE_RE = re.compile(
    r"""^\s*(import|from|use|require|using|extern\ crate)\b.*$
      | \brequire\(['"][^'"]+['"]\)
      | ^\s*"[\w./-]+"\s*$""",
    re.M | re.X,
)


# The same without require(): its unanchored branch is tried at every character of a file, and
# a file without "require(" cannot match it (Django's production code: 0.71 s -> 0.13 s).
IMPORT_LINE_NO_REQUIRE_RE = re.compile(
    r"""^\s*(import|from|use|require|using|extern\ crate)\b.*$
      | ^\s*"[\w./-]+"\s*$""",
    re.M | re.X,
)


def imports_of(text: str) -> str:
    """The import lines of a source file (enough to tell which libraries it uses)."""
    text = text[:200_000]
    pattern = IMPORT_LINE_RE if "require(" in text else IMPORT_LINE_NO_REQUIRE_RE
    return "\n".join(m.group(0) for m in pattern.finditer(text))


def mentioned(libraries: tuple[str, ...], texts: list[str]) -> set[str]:
    found = set()
    for lib in libraries:
        pattern = re.compile(
            r"(?<![\w.-])" + re.escape(lib) + (r"" if lib.endswith(("/", "-")) else r"(?![\w-])")
        )
        if any(pattern.search(text) for text in texts):
            found.add(lib)
    return found


def package_readme(root: Path, paths: list[str]) -> tuple[str, str]:
    """No README at the root: a workspace or monorepo documents each package in its own folder
    (the root one is often a symbolic link, removed before analysis). The fullest README of a
    first-level production folder stands for the repository's."""
    candidates = [
        rel
        for rel in paths
        if rel.count("/") == 1 and README_RE.match(rel.split("/", 1)[1]) and classify_path(rel) == PRODUCTION
    ]
    texts = {rel: read_text(root / rel) for rel in candidates}
    best = max(sorted(texts), key=lambda rel: len(texts[rel].split()), default="")
    return best, texts.get(best, "")


def service_signs_of(
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
            package = json.loads(read_text(root / "package.json") or "{}")
        except ValueError:
            package = {}
        if isinstance(package, dict):
            scripts = package.get("scripts")
            if package.get("private") is True:
                signs.append("package.json is private (never published)")
            elif isinstance(scripts, dict) and "start" in scripts:
                signs.append("package.json has a start script")
    return signs


def runs_tests(ci_text: str, makefile: str) -> bool:
    """A test command in the CI file, a step named after tests, or a make target that runs one."""
    if TEST_COMMAND_RE.search(ci_text) or TEST_STEP_RE.search(ci_text):
        return True
    for target in MAKE_TARGET_RE.findall(ci_text):
        recipe = re.search(rf"^{re.escape(target)}\s*:[^\n]*\n((?:\t[^\n]*\n?)*)", makefile, re.M)
        if recipe and TEST_COMMAND_RE.search(recipe.group(1)):
            return True
    return False


def drops_root(dockerfile: str) -> bool:
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


def has_healthcheck(text: str) -> bool:
    return bool(HEALTHCHECK_RE.search(text)) and not HEALTHCHECK_NONE_RE.search(text)


PIN_RE = re.compile(r"^[A-Za-z0-9._\-\[\],]+\s*===?\s*[^\s;]+")


def pinned(requirements: str) -> bool:
    """Every requirement of the file names one exact version (options and comments aside)."""
    wanted = [line.split("#", 1)[0].strip() for line in requirements.splitlines()]
    wanted = [line for line in wanted if line and not line.startswith("-")]
    return bool(wanted) and all(PIN_RE.match(line) for line in wanted)


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > limit:
            return ""
        return path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""
