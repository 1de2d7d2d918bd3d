"""The checklist templates shipped with auditor.

Loaded by a data migration and re-loaded by `manage.py load_checklist_templates` when this
library grows. Each entry has a `version`: raise it when you change an entry's items, and the
command replaces that template's items (checklists already started keep their own copies).

Items are written to be checkable: each says what must be true and how to verify it.
Each item is (text, guidance, critical, domain slug).
"""

from __future__ import annotations

from decimal import Decimal

C = True  # critical: a checklist with this item still to do never counts as complete
N = False

PRODUCTION_READINESS = {
    "slug": "production-readiness",
    "name": "Production readiness",
    "version": 1,
    "description": "Go/no-go review of a backend before its first production release.",
    "sections": [
        (
            "Core features",
            [
                (
                    "Every user-facing feature in the release scope works end to end on staging",
                    "Walk through the release scope list on staging with production-like data; record "
                    "the build/commit tested in the note.",
                    C,
                    "reliability",
                ),
                (
                    "Error responses are consistent and never leak stack traces or SQL",
                    "Trigger a 404, a 400 (invalid payload) and a 500 on staging; the body is the "
                    "documented error format, without traceback, query or file path.",
                    C,
                    "security",
                ),
                (
                    "Input validation on every write endpoint",
                    "Each POST/PUT/PATCH validates types, lengths and ranges with a schema or form; "
                    "oversize or malformed bodies answer 4xx, not 500.",
                    N,
                    "reliability",
                ),
                (
                    "Data migrations are reversible or have a written rollback plan",
                    "Check the migration list of the release; irreversible ones have a rollback note "
                    "in the release ticket.",
                    N,
                    "deployment",
                ),
            ],
        ),
        (
            "Security",
            [
                (
                    "No secret in the repository or the image",
                    "Run a secrets scanner (detect-secrets, gitleaks) on the full history and on the "
                    "built image layers; zero unexplained hits.",
                    C,
                    "security",
                ),
                (
                    "Authentication required on every non-public endpoint",
                    "List the routes; each public one is justified in the note; an unauthenticated "
                    "request to any other answers 401/403.",
                    C,
                    "security",
                ),
                (
                    "Object-level authorisation tested (no IDOR)",
                    "Tests show user A gets 403/404 on user B's objects for read, update and delete.",
                    C,
                    "security",
                ),
                (
                    "Dependencies have no known high or critical vulnerability",
                    "pip-audit / npm audit / osv-scanner report attached; exceptions have an issue "
                    "and an expiry date.",
                    N,
                    "security",
                ),
            ],
        ),
        (
            "Performance",
            [
                (
                    "Key endpoints meet their latency target under expected load",
                    "Load test (k6, Locust) at the expected peak; p95 per endpoint recorded against "
                    "its target.",
                    N,
                    "performance",
                ),
                (
                    "No N+1 queries on list endpoints",
                    "Query counts of list endpoints are asserted in tests or checked with a query log; "
                    "constant with the number of rows.",
                    N,
                    "performance",
                ),
                (
                    "Database indexes exist for every frequent filter and sort",
                    "EXPLAIN the top queries from the slow query log or APM; no sequential scan on "
                    "large tables.",
                    N,
                    "performance",
                ),
                (
                    "Timeouts set on every outgoing HTTP call and DB connection",
                    "grep the HTTP client calls; each has a timeout; the DB pool has connect and "
                    "statement timeouts.",
                    N,
                    "reliability",
                ),
            ],
        ),
        (
            "Observability",
            [
                (
                    "Structured logs with request id, without secrets or personal data",
                    "Inspect a sample of production-format log lines: JSON or key=value, request id "
                    "present, no token/password/e-mail.",
                    N,
                    "observability",
                ),
                (
                    "Health endpoint checks the database and the broker",
                    "GET the health URL with the DB stopped: it answers non-200.",
                    C,
                    "observability",
                ),
                (
                    "Errors are reported to an error tracker with alerting",
                    "Trigger a test exception on staging; it appears in Sentry (or equivalent) and "
                    "notifies the on-call channel.",
                    N,
                    "observability",
                ),
                (
                    "Dashboards show traffic, error rate, latency and saturation",
                    "Link the dashboard in the evidence field.",
                    N,
                    "observability",
                ),
            ],
        ),
        (
            "Tests",
            [
                (
                    "The full test suite passes in CI on the release commit",
                    "Link the CI run of the exact commit being released.",
                    C,
                    "testing",
                ),
                (
                    "Line coverage at or above the team threshold (default 80%)",
                    "Coverage report of the release commit; note the figure.",
                    N,
                    "testing",
                ),
                (
                    "Integration tests run against the real database engine used in production",
                    "Not SQLite when production is PostgreSQL; check the CI service containers.",
                    N,
                    "testing",
                ),
            ],
        ),
    ],
}

SECURITY_REVIEW = {
    "slug": "security-review",
    "name": "Security review before release",
    "version": 1,
    "description": "Security checks a reviewer runs before a release reaches production.",
    "sections": [
        (
            "Secrets",
            [
                (
                    "Secrets come only from the environment or a secret manager",
                    "No default secret value in settings for production; startup fails when a "
                    "required secret is missing.",
                    C,
                    "security",
                ),
                (
                    "Secret scan of the full git history is clean",
                    "detect-secrets or gitleaks on all commits; any past leak has been rotated.",
                    C,
                    "security",
                ),
                (
                    "Secrets are rotated on a schedule and after staff changes",
                    "Name the rotation procedure and the date of the last rotation.",
                    N,
                    "security",
                ),
            ],
        ),
        (
            "Authentication",
            [
                (
                    "Passwords hashed with a slow algorithm (argon2, bcrypt, PBKDF2)",
                    "Check the hasher configuration; no MD5/SHA-1/plain hashes in the user table.",
                    C,
                    "security",
                ),
                (
                    "Login is rate-limited and lockout is tested",
                    "N failed attempts from one IP or account are throttled; a test proves it.",
                    N,
                    "security",
                ),
                (
                    "Tokens expire; refresh tokens can be revoked",
                    "Access token lifetime ≤ 1 hour; logout or password change revokes refresh tokens.",
                    N,
                    "security",
                ),
                (
                    "Session cookies are Secure, HttpOnly and SameSite",
                    "Inspect the Set-Cookie header on the production domain.",
                    N,
                    "security",
                ),
            ],
        ),
        (
            "Injection",
            [
                (
                    "No SQL built by string formatting",
                    "grep for raw SQL / execute( / f-strings in queries; every one uses bound parameters.",
                    C,
                    "security",
                ),
                (
                    "No shell command built from user input",
                    "subprocess calls use argument lists, never shell=True with interpolated values.",
                    C,
                    "security",
                ),
                (
                    "Templates escape output by default; every `safe`/`mark_safe` is justified",
                    "grep the templates and code for raw HTML output; each use reviewed.",
                    N,
                    "security",
                ),
                (
                    "Outgoing requests to user-given URLs are restricted (SSRF)",
                    "URL fetches validate scheme and host against an allow list; internal addresses refused.",
                    N,
                    "security",
                ),
            ],
        ),
        (
            "Dependency scanning",
            [
                (
                    "Dependencies are pinned with a lock file",
                    "requirements.txt with == pins or a lock file checked in.",
                    N,
                    "security",
                ),
                (
                    "Dependency vulnerability scan runs in CI and blocks on high severity",
                    "Link the CI job (pip-audit, npm audit, osv-scanner) and its failure threshold.",
                    C,
                    "security",
                ),
                (
                    "Static analysis (bandit, semgrep) runs in CI; findings triaged",
                    "High findings fixed or marked false positive with a reason.",
                    N,
                    "code-quality",
                ),
            ],
        ),
        (
            "Containers",
            [
                (
                    "The container runs as a non-root user",
                    "Dockerfile has a USER instruction; `docker inspect` shows a non-zero uid.",
                    C,
                    "deployment",
                ),
                (
                    "Base image is pinned and scanned",
                    "Image tag pinned (ideally by digest); trivy/grype report without critical findings.",
                    N,
                    "deployment",
                ),
                (
                    "The image contains no build tools, tests or .git",
                    "Multi-stage build or .dockerignore; list the image's files.",
                    N,
                    "deployment",
                ),
            ],
        ),
    ],
}

DEPLOYMENT = {
    "slug": "deployment",
    "name": "Deployment",
    "version": 1,
    "description": "Before switching traffic to a new production environment or release.",
    "sections": [
        (
            "Configuration and secrets",
            [
                (
                    "Every required secret is set in production and generated randomly",
                    "Signing keys, JWT and refresh-token secrets from a CSPRNG (e.g. `openssl rand "
                    "-hex 32`), distinct per environment.",
                    C,
                    "security",
                ),
                (
                    "Third-party API keys are production keys with least privilege",
                    "Payment, e-mail and AI provider keys are the production ones, restricted to the "
                    "needed scopes.",
                    N,
                    "security",
                ),
                (
                    "Debug mode is off",
                    "DEBUG=false (or equivalent); an error page on production shows no traceback.",
                    C,
                    "security",
                ),
                (
                    "Allowed hosts and CORS origins list the production domains only",
                    "No wildcard origin with credentials; check the response headers.",
                    C,
                    "security",
                ),
                (
                    "Webhook endpoints verify signatures",
                    "Payment and integration webhooks reject unsigned or wrongly signed requests.",
                    N,
                    "security",
                ),
            ],
        ),
        (
            "Transport",
            [
                (
                    "HTTPS enforced with a valid certificate and HTTP redirected",
                    "curl -I http://… answers 301 to https; the certificate is valid and renews "
                    "automatically.",
                    C,
                    "deployment",
                ),
                (
                    "HSTS and secure cookies enabled",
                    "Strict-Transport-Security header present; cookies carry Secure.",
                    N,
                    "security",
                ),
            ],
        ),
        (
            "Data",
            [
                (
                    "Production runs on a real database server, not SQLite",
                    "PostgreSQL (or the chosen server) with its own credentials; the app user is not "
                    "a superuser.",
                    C,
                    "deployment",
                ),
                (
                    "Cache, sessions and task broker run on a managed service (e.g. Redis)",
                    "Not in-process memory; survives an app restart.",
                    N,
                    "reliability",
                ),
                (
                    "Automated backups run and a restore has been tested",
                    "Daily backups with retention; date of the last successful restore test in the note.",
                    C,
                    "reliability",
                ),
                (
                    "Migrations applied as a separate release step",
                    "Migrations run once per release (not by every instance at boot).",
                    N,
                    "deployment",
                ),
            ],
        ),
        (
            "Operations",
            [
                (
                    "Runs under a production server (gunicorn/uvicorn), not the dev server",
                    "Check the container command; workers and timeouts configured.",
                    N,
                    "deployment",
                ),
                (
                    "Health check wired to the orchestrator or load balancer",
                    "Unhealthy instances are taken out of rotation automatically.",
                    N,
                    "observability",
                ),
                (
                    "Rollback procedure written and rehearsed",
                    "The previous image can be redeployed in minutes; link the runbook.",
                    N,
                    "deployment",
                ),
                (
                    "Logs and metrics shipped off the host",
                    "Logs reach the central store; retention configured.",
                    N,
                    "observability",
                ),
            ],
        ),
    ],
}

TEST_CI_QUALITY = {
    "slug": "test-ci-quality",
    "name": "Test & CI quality",
    "version": 1,
    "description": "How well the test suite and the CI pipeline protect the main branch.",
    "sections": [
        (
            "Coverage",
            [
                (
                    "Line coverage meets the threshold (80% unless the team set another)",
                    "Coverage report on the main branch; figure in the note.",
                    N,
                    "testing",
                ),
                (
                    "CI fails when coverage drops below the threshold",
                    "`--cov-fail-under` (or equivalent) configured; link the config line.",
                    C,
                    "testing",
                ),
                (
                    "Critical paths (auth, payments, permissions) covered by tests",
                    "List the test files covering each; branch coverage of those modules ≥ 90%.",
                    C,
                    "testing",
                ),
            ],
        ),
        (
            "Integration tests",
            [
                (
                    "API endpoints tested through HTTP, with the real database engine",
                    "Tests use the framework's test client against PostgreSQL/MySQL, not mocks of the ORM.",
                    N,
                    "testing",
                ),
                (
                    "External services faked at the network boundary only",
                    "HTTP mocked with recorded responses or a local fake; internal code not patched out.",
                    N,
                    "testing",
                ),
                (
                    "Tests are independent and pass in random order",
                    "Run the suite with random ordering twice; same result.",
                    N,
                    "testing",
                ),
            ],
        ),
        (
            "Load tests",
            [
                (
                    "A load test script exists for the main user journeys",
                    "k6/Locust/Gatling script in the repository; link it.",
                    N,
                    "performance",
                ),
                (
                    "Load test run against a production-like environment before release",
                    "Report with throughput, p95 latency and error rate attached.",
                    N,
                    "performance",
                ),
            ],
        ),
        (
            "CI gates",
            [
                (
                    "Every merge to main requires a green pipeline",
                    "Branch protection requires the CI status checks; screenshot or settings link.",
                    C,
                    "testing",
                ),
                (
                    "Linters and type checks run in CI and block the merge",
                    "ruff/flake8/eslint and mypy/tsc jobs; zero tolerated errors.",
                    N,
                    "code-quality",
                ),
                (
                    "Security scanners run in CI (dependencies, secrets, SAST)",
                    "Jobs listed with their failure thresholds.",
                    N,
                    "security",
                ),
                (
                    "The pipeline builds the exact artefact that is deployed",
                    "Image built once in CI, tagged with the commit, and promoted; no rebuild on deploy.",
                    N,
                    "deployment",
                ),
                ("CI run time under 15 minutes", "Median of the last 20 main-branch runs.", N, "testing"),
            ],
        ),
    ],
}

TEMPLATES = [PRODUCTION_READINESS, SECURITY_REVIEW, DEPLOYMENT, TEST_CI_QUALITY]

# Items the evidence auditor already holds can answer (checklists/evidence_rules.py), by template
# slug and item text: (rule, threshold or None). The tech lead confirms or overrides the answer.
EVIDENCE_RULES: dict[str, dict[str, tuple[str, str | None]]] = {
    "production-readiness": {
        "No secret in the repository or the image": ("no_secret_found", None),
        "The full test suite passes in CI on the release commit": ("tests_ran_in_ci", None),
        "Line coverage at or above the team threshold (default 80%)": ("coverage_at_least", "80"),
    },
    "security-review": {
        "Secret scan of the full git history is clean": ("no_secret_found", None),
        "Dependencies are pinned with a lock file": ("lock_file_present", None),
        "The container runs as a non-root user": ("container_non_root", None),
    },
    "deployment": {
        "Health check wired to the orchestrator or load balancer": ("container_healthcheck_present", None),
    },
    "test-ci-quality": {
        "Line coverage meets the threshold (80% unless the team set another)": ("coverage_at_least", "80"),
    },
}


def template_items(entry: dict) -> list[dict]:
    """The flat, ordered item rows of one library entry."""
    rows = []
    order = 0
    for section, items in entry["sections"]:
        for text, guidance, critical, domain in items:
            order += 10
            rule = EVIDENCE_RULES.get(entry["slug"], {}).get(text)
            rows.append(
                {
                    "order": order,
                    "section": section,
                    "text": text,
                    "guidance": guidance,
                    "is_critical": critical,
                    "domain": domain,
                    "evidence_rule": rule[0] if rule else "",
                    "evidence_threshold": Decimal(rule[1]) if rule and rule[1] else None,
                }
            )
    return rows


def apply_evidence_rules(*, template_model, item_model) -> int:
    """Give the items of the installed library templates their evidence rule, where they have
    none (an admin's choice stays). Returns how many items got one."""
    changed = 0
    for slug, rules in EVIDENCE_RULES.items():
        for text, (rule, threshold) in rules.items():
            changed += item_model.objects.filter(template__slug=slug, text=text, evidence_rule="").update(
                evidence_rule=rule, evidence_threshold=Decimal(threshold) if threshold else None
            )
    return changed


def _rule_fields(item_model, row: dict) -> dict:
    # The data migration that first loaded the library ran before items had evidence rules.
    if not any(f.name == "evidence_rule" for f in item_model._meta.get_fields()):
        return {}
    return {"evidence_rule": row["evidence_rule"], "evidence_threshold": row["evidence_threshold"]}


def install_library(*, template_model, item_model, domain_model, entries=None) -> dict[str, str]:
    """Create missing templates and refresh those whose library entry has a higher version.

    Takes the model classes so the data migration can pass its historical models. Returns
    {slug: "created" | "updated" | "unchanged"}. A template edited in the admin keeps its edits
    until its library entry's version is raised.
    """
    domains = {d.slug: d for d in domain_model.objects.all()}
    outcome = {}
    for entry in entries if entries is not None else TEMPLATES:
        template = template_model.objects.filter(slug=entry["slug"]).first()
        if template is None:
            template = template_model.objects.create(
                slug=entry["slug"],
                name=entry["name"],
                description=entry["description"],
                version=1,
                library_version=entry["version"],
                is_active=True,
            )
            outcome[entry["slug"]] = "created"
        elif (template.library_version or 0) < entry["version"]:
            template.name = entry["name"]
            template.description = entry["description"]
            template.version += 1
            template.library_version = entry["version"]
            template.save()
            template.items.all().delete()
            outcome[entry["slug"]] = "updated"
        else:
            outcome[entry["slug"]] = "unchanged"
            continue
        item_model.objects.bulk_create(
            item_model(
                template=template,
                order=row["order"],
                section=row["section"],
                text=row["text"],
                guidance=row["guidance"],
                is_critical=row["is_critical"],
                domain=domains.get(row["domain"]),
                **_rule_fields(item_model, row),
            )
            for row in template_items(entry)
        )
    return outcome
