"""auditor settings: everything that differs between machines comes from the environment.

Every variable is documented in `.env.example`. The defaults are the embedded set-up used by
`make run`: SQLite under var/, kombu's filesystem broker under var/broker/, console email.
"""

import os
import tempfile
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("AUDITOR_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    TIME_ZONE=(str, "UTC"),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DEBUG")

# Only used with DEBUG on. (The pragma tells secret scanners, ours included, it is no secret.)
_DEV_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105  # pragma: allowlist secret
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or set DEBUG=true for development)."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # The admin's modules are found when the URLconf loads (auditor/urls.py), not at start-up:
    # management commands and Celery workers never import them (0.45 CPU-s per process).
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Before django_celery_beat, import_export and auditlog: its templates replace theirs where
    # those break the CSP.
    "trail",
    "django_celery_beat",
    "import_export",
    "axes",
    "auditlog",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Floors, lowest first: a lower app never imports a higher one (docs/architecture.md).
    "projects",
    "findings",
    "checklists",
    "governance",
    "scoring",
    "rescans",
    "reports",
    "integrations",
    "api",
    "dashboard",
    "ops",
    "sso",
]

MIDDLEWARE = [
    "auditor.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "auditor.observability.ContentSecurityPolicyMiddleware",
    # Query strings with NUL or absurd numbers answer 400 before any view queries the database.
    "auditor.query_guard.QueryGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "auditor.urls"
WSGI_APPLICATION = "auditor.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: PostgreSQL in production and CI, SQLite file as the embedded default.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'auditor.sqlite3'}"),
}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast when PostgreSQL is down or restarting: requests answer 503 (auditor/errors.py)
    # within seconds instead of hanging, and the next request after it is back reconnects.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share one file: wait for locks instead of failing at once, and
    # take the write lock at BEGIN so two writers never deadlock on lock upgrades.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Tests on SQLite use a file, so a Celery worker started by a test sees the same data; one
    # file per test process, so two test runs at once never delete each other's database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_auditor_{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True

AUTHENTICATION_BACKENDS = [
    # Login throttling first: a locked-out client is refused before its password is checked.
    "auditor.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_COOLOFF_MINUTES", default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "auditor.auth.client_ip"
AXES_COOLOFF_MESSAGE = (
    "Too many failed logins for this account from your address: login is locked for "
    f"{env.float('LOGIN_COOLOFF_MINUTES', default=15):g} minutes. Try again later, or ask an "
    "admin to unlock it."
)
# Proxies in front of auditor whose X-Forwarded-For is believed (0: use the socket address).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", default=12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "admin:login"
# After login: the landing by role (dashboard/landing.py); OIDC logins use it too.
LOGIN_REDIRECT_URL = "landing"

# Single sign-on with OpenID Connect (docs/sso.md, app `sso`): on when OIDC_RP_CLIENT_ID is set.
# The provider's endpoints come from its discovery document (OIDC_OP_DISCOVERY: the issuer URL)
# unless named one by one; an empty OIDC_OP_* setting means "ask discovery".
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_OP_DISCOVERY = env.str("OIDC_OP_DISCOVERY", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_OP_LOGOUT_ENDPOINT = env.str("OIDC_OP_LOGOUT_ENDPOINT", default="")  # RP-initiated logout
OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="")  # the ID token's `iss`, checked
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
OIDC_USE_PKCE = env.bool("OIDC_USE_PKCE", default=True)
OIDC_STORE_ID_TOKEN = True  # sent back to the provider as id_token_hint at logout
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10.0)
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="single sign-on")  # "Sign in with …"
# Roles from a claim: OIDC_ROLE_MAP="auditor-admins=Admin,leads=Tech lead" maps claim values to
# the roles of projects/roles.py ("Admin" = superuser), re-synced at each login.
OIDC_ROLE_CLAIM = env.str("OIDC_ROLE_CLAIM", default="")
OIDC_ROLE_MAP = env.str("OIDC_ROLE_MAP", default="")
# Project membership from a claim listing project slugs (empty: memberships are not touched).
OIDC_PROJECTS_CLAIM = env.str("OIDC_PROJECTS_CLAIM", default="")
OIDC_USERNAME_CLAIM = env.str("OIDC_USERNAME_CLAIM", default="preferred_username")
# Local (password) login off, except for the break-glass accounts named here.
OIDC_ONLY = env.bool("OIDC_ONLY", default=False)
OIDC_BREAK_GLASS_USERS = env.list("OIDC_BREAK_GLASS_USERS", default=[])
if OIDC_ENABLED:
    if not OIDC_RP_CLIENT_SECRET:
        raise ImproperlyConfigured("OIDC_RP_CLIENT_ID is set: set OIDC_RP_CLIENT_SECRET too.")
    if not OIDC_OP_DISCOVERY and not (OIDC_OP_AUTHORIZATION_ENDPOINT and OIDC_OP_TOKEN_ENDPOINT):
        raise ImproperlyConfigured("OIDC is on: set OIDC_OP_DISCOVERY (the issuer URL) or the endpoints.")
    AUTHENTICATION_BACKENDS.append("sso.backends.OidcBackend")
if OIDC_ONLY:
    if not OIDC_ENABLED:
        raise ImproperlyConfigured("OIDC_ONLY is on but OIDC is not configured (OIDC_RP_CLIENT_ID).")
    AUTHENTICATION_BACKENDS[AUTHENTICATION_BACKENDS.index("django.contrib.auth.backends.ModelBackend")] = (
        "sso.backends.BreakGlassBackend"
    )

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# Email: console by default; in production EMAIL_URL=smtp+tls://user:pass@host:587  # pragma: allowlist secret
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Seconds before a silent mail server is given up on (the reminder run then records a failure).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="auditor <auditor@localhost>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Celery: configured from these settings through the CELERY_ namespace (auditor/celery.py).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        # Broadcast/control messages (worker pings, remote control): kept under var/ too.
        "control_folder": str(BROKER_DIR / "control"),
    }
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Two queues, so a night of re-scans never delays short work (docs/deployment.md, "Workers"):
# "scans" holds re-scans (minutes each, a clone and several scanner processes); "default"
# holds everything else (recomputes, reminders, imports, heartbeat, the dispatcher, sweeps),
# each done in seconds. A worker started without -Q consumes both; production runs one pool
# per queue (-Q default, -Q scans) and scales them separately.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = (Queue("default"), Queue("scans"))
CELERY_TASK_ROUTES = {"projects.rescan": {"queue": "scans"}}

# REST API (/api/v1/, docs/api.md): personal tokens or a session; errors as JSON; per-token
# throttling (rates "<n>/<second|minute|hour|day>").
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=500)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.PersonalTokenAuthentication",
        "api.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_token": env.str("API_THROTTLE_TOKEN", default="1200/minute"),
        "api_session": env.str("API_THROTTLE_SESSION", default="1200/minute"),
    },
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "api.filters.StrictOrdering",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "auditor API",
    "DESCRIPTION": "Projects, audits, scores, findings, checklists and re-scans (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AuditStatusEnum": "projects.models.Audit.Status",
        "VerdictEnum": "projects.models.Audit.Verdict",
        "FindingStatusEnum": "findings.models.Finding.Status",
        "ImportRunStatusEnum": "findings.models.ImportRun.Status",
        "ItemStateEnum": "checklists.models.ItemState",
        "ExceptionStateEnum": "governance.models.State",
        "ExceptionReasonEnum": "governance.models.Reason",
        "RescanStateEnum": "rescans.models.RescanRun.State",
        "RescanReasonEnum": "rescans.models.RescanRun.Reason",
    },
}

# Score level bands, best first: [(lower bound, name, css slug), ...]; empty keeps the bands of
# scoring.levels.DEFAULT_LEVELS (docs/scoring.md).
AUDITOR_SCORE_LEVELS: list[tuple[float, str, str]] = []

# Uploads (scan reports, audit reports): size limit in bytes, checked before parsing.
AUDITOR_MAX_UPLOAD_BYTES = env.int("AUDITOR_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
# Markdown audit reports are read inside the request: see projects/uploads.py.
AUDITOR_MAX_REPORT_BYTES = env.int("AUDITOR_MAX_REPORT_BYTES", default=2 * 1024 * 1024)
# Evidence files attached to checklist items (checklists/evidence_files.py), read in the request.
AUDITOR_MAX_EVIDENCE_BYTES = env.int("AUDITOR_MAX_EVIDENCE_BYTES", default=20 * 1024 * 1024)
# A scan import left "running" this long is swept to failed (on PostgreSQL sooner: as soon as
# its project's row lock is free, i.e. no import process is alive behind it).
IMPORT_ABANDONED_AFTER_SECONDS = env.int("IMPORT_ABANDONED_AFTER_SECONDS", default=3600)
# A scan report confirmed in the admin that is larger than this, or holds more results, is
# imported by a worker (progress on its Import run page) instead of inside the request.
IMPORT_BACKGROUND_BYTES = env.int("IMPORT_BACKGROUND_BYTES", default=2 * 1024 * 1024)
IMPORT_BACKGROUND_RESULTS = env.int("IMPORT_BACKGROUND_RESULTS", default=5000)
# On PostgreSQL, `import_scan` streams a Bandit or SARIF file larger than this (constant memory);
# smaller files are read whole, which is faster and stays under about 300 MB.
IMPORT_STREAM_BYTES = env.int("IMPORT_STREAM_BYTES", default=24 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Spreadsheet imports (findings triage, checklist templates): a file of more rows, or whose XLSX
# archive unpacks to more bytes, is refused before any row is read.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=5000)
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=20 * 1024 * 1024)
# Upload jobs (projects/upload_jobs.py): a findings triage sheet of more rows, or a Markdown report
# of more bytes, is previewed and imported by a worker, with progress, instead of in the request.
IMPORT_BACKGROUND_ROWS = env.int("IMPORT_BACKGROUND_ROWS", default=100)
REPORT_BACKGROUND_BYTES = env.int("REPORT_BACKGROUND_BYTES", default=256 * 1024)
# A scan report larger than this is previewed by a worker too (the dry run takes about 2 s at
# 20,000 results, some 10 MB of JSON).
IMPORT_BACKGROUND_PREVIEW_BYTES = env.int("IMPORT_BACKGROUND_PREVIEW_BYTES", default=4 * 1024 * 1024)
# Items one checklist (or checklist template) may hold, and how many its admin page shows inline
# (each shown item posts 5 fields: a page must stay under DATA_UPLOAD_MAX_NUMBER_FIELDS, 1000).
CHECKLIST_MAX_ITEMS = env.int("CHECKLIST_MAX_ITEMS", default=1000)
CHECKLIST_INLINE_MAX_ITEMS = env.int("CHECKLIST_INLINE_MAX_ITEMS", default=100)

# Exceptions (governance): an accepted risk expires this many days after approval unless the
# request names another date; owners are reminded these many days before an exception expires.
EXCEPTION_DEFAULT_EXPIRY_DAYS = env.int("EXCEPTION_DEFAULT_EXPIRY_DAYS", default=90)
EXCEPTION_REMINDER_DAYS = tuple(env.list("EXCEPTION_REMINDER_DAYS", cast=int, default=[30, 7, 1]))
# Days to fix a finding (SLA), by severity, from its first sighting; a project may set its own.
SLA_DAYS_CRITICAL = env.int("SLA_DAYS_CRITICAL", default=7)
SLA_DAYS_HIGH = env.int("SLA_DAYS_HIGH", default=30)
SLA_DAYS_MEDIUM = env.int("SLA_DAYS_MEDIUM", default=90)
SLA_DAYS_LOW = env.int("SLA_DAYS_LOW", default=180)

# Integrations (docs/integrations.md). Webhook secrets and chat URLs are stored encrypted with a
# key derived from WEBHOOK_SECRET_KEY (SECRET_KEY when unset: rotating it makes them unreadable).
WEBHOOK_SECRET_KEY = env.str("WEBHOOK_SECRET_KEY", default="")
# Seconds to wait before each retry of a failed delivery (1 min, 5 min, 30 min, 2 h, 12 h).
WEBHOOK_RETRY_DELAYS = tuple(env.list("WEBHOOK_RETRY_DELAYS", cast=int, default=[60, 300, 1800, 7200, 43200]))
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Hosts (names or IP addresses) a webhook or chat URL may name although they are private,
# loopback or link-local, and reach over plain http: for tests and local receivers only.
WEBHOOK_ALLOWED_PRIVATE_HOSTS = env.list("WEBHOOK_ALLOWED_PRIVATE_HOSTS", default=[])
# Chat digests: events of one project are gathered this many seconds, then sent as one message.
CHAT_DIGEST_WINDOW_SECONDS = env.int("CHAT_DIGEST_WINDOW_SECONDS", default=60)
# CI gate: a coverage drop of more than this many percentage points since the baseline fails it.
CI_GATE_COVERAGE_DROP = env.float("CI_GATE_COVERAGE_DROP", default=1.0)
BADGE_CACHE_SECONDS = env.int("BADGE_CACHE_SECONDS", default=300)

# Re-scans: local repository paths are refused unless they lie under one of these folders.
SCAN_LOCAL_ROOTS = env.list("SCAN_LOCAL_ROOTS", default=[])
# A re-scan still running after SCAN_MAX_SECONDS is swept as failed (abandoned) and retried once.
SCAN_MAX_SECONDS = env.int("SCAN_MAX_SECONDS", default=3600)
# Scheduled re-scans due at the same minute start spread over this many seconds, each project
# at a fixed offset of its own (projects/schedule.py); 0 = all at the scheduled minute.
SCAN_JITTER_SECONDS = env.int("SCAN_JITTER_SECONDS", default=1800)
# Due projects the dispatcher claims per pass (one pass a minute): a constant number of queries.
SCAN_DISPATCH_BATCH = env.int("SCAN_DISPATCH_BATCH", default=500)
# Each scanner subprocess: a time limit and an output cap; scanners run in parallel.
SCAN_SCANNER_TIMEOUT_SECONDS = env.int("SCAN_SCANNER_TIMEOUT_SECONDS", default=900)
SCAN_MAX_OUTPUT_BYTES = env.int("SCAN_MAX_OUTPUT_BYTES", default=50 * 1024 * 1024)
# Scanners one re-scan runs at once: at most 3, and no more than the CPUs. On 2 CPUs a third
# analyzer beside Semgrep and Bandit only slowed Semgrep (Django's tree: analyzers 1.25-1.47x
# Semgrep alone with 3 at once, 1.09-1.12x with 2).
SCAN_PARALLELISM = env.int("SCAN_PARALLELISM", default=min(3, os.cpu_count() or 1))
# A local export of the OSV vulnerability database (OSV's JSON files, e.g. one folder per
# ecosystem). Without it dependency vulnerabilities are "not measured", never "none found".
OSV_DATA_DIR = env.str("OSV_DATA_DIR", default="")
# Or the OSV web API where the network allows it (e.g. https://api.osv.dev); empty = not used.
OSV_API_URL = env.str("OSV_API_URL", default="")
# System limits of each scanner process (0 = not limited): address space, CPU time, and the
# largest file it may write. A scanner stopped by one fails alone, with the limit named.
SCAN_MAX_MEMORY_BYTES = env.int("SCAN_MAX_MEMORY_BYTES", default=2 * 1024 * 1024 * 1024)
SCAN_MAX_CPU_SECONDS = env.int("SCAN_MAX_CPU_SECONDS", default=900)
SCAN_MAX_FILE_BYTES = env.int("SCAN_MAX_FILE_BYTES", default=100 * 1024 * 1024)
# Hosts re-scans may clone from (https and ssh URLs); empty = any host.
SCAN_ALLOWED_HOSTS = env.list("SCAN_ALLOWED_HOSTS", default=[])
# ssh repositories: the deploy key, and the known_hosts file that pins the servers' host keys
# (without it, a server's key is accepted the first time it is seen in each fresh checkout).
SCAN_SSH_KEY_FILE = env.str("SCAN_SSH_KEY_FILE", default="")
SCAN_SSH_KNOWN_HOSTS_FILE = env.str("SCAN_SSH_KNOWN_HOSTS_FILE", default="")
# CI artifacts read from the checkout when present (Cobertura coverage, JUnit results).
SCAN_ARTIFACT_PATHS = env.list(
    "SCAN_ARTIFACT_PATHS",
    default=[
        "coverage.xml",
        "cobertura.xml",
        "reports/coverage.xml",
        "build/coverage.xml",
        "junit.xml",
        "test-results.xml",
        "reports/junit.xml",
        "build/test-results/junit.xml",
    ],
)
# Incremental re-scans (docs/rescans.md): a full re-scan at least every SCAN_FULL_EVERY_DAYS
# days; more changed files than this share of the repository's makes the run full too.
SCAN_FULL_EVERY_DAYS = env.float("SCAN_FULL_EVERY_DAYS", default=7)
SCAN_INCREMENTAL_MAX_CHANGED_SHARE = env.float("SCAN_INCREMENTAL_MAX_CHANGED_SHARE", default=0.25)
# Each worker keeps every project's last checkout in this folder (private to its user) and
# brings it to the new commit instead of cloning again; empty = a fresh clone every re-scan.
SCAN_CHECKOUT_CACHE_DIR = env.str(
    "SCAN_CHECKOUT_CACHE_DIR", default=os.path.join(tempfile.gettempdir(), "auditor-checkouts")
)

# Logging: one line per record on stderr, plain or JSON (LOG_FORMAT=json), each with the
# request id of the request it belongs to (auditor/observability.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'plain' or 'json', not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "auditor.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "auditor.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes logs every successful login at INFO; lockouts and failures are WARNING.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Security. Safe production defaults; `make run` (DEBUG=true, plain http on loopback) turns the
# https-only ones off. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER (see
# docs/deployment.md), otherwise every request looks like plain http and is redirected.


def _flag(name: str, default: bool) -> bool:
    """A boolean from the environment where an empty value means "not set" (the safe default),
    never "false": `SECURE_SSL_REDIRECT=` copied from an example file must not turn https off."""
    return env.bool(name, default=default) if env.str(name, default="").strip() else default


SECURE_SSL_REDIRECT = _flag("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # container and load balancer probes speak plain http
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="")  # e.g. "X-Forwarded-Proto: https"
if _proxy_ssl_header:
    _name, _, _value = _proxy_ssl_header.partition(":")
    if not _value.strip():
        raise ImproperlyConfigured('SECURE_PROXY_SSL_HEADER must look like "X-Forwarded-Proto: https".')
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _name.strip().upper().replace("-", "_"), _value.strip())
SECURE_HSTS_SECONDS = int(env.str("SECURE_HSTS_SECONDS", default="").strip() or (0 if DEBUG else 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _flag("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = env.str("SECURE_REFERRER_POLICY", default="") or "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = _flag("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: pages load scripts, styles and images from auditor itself only; no
# inline script, no inline style, no framing (auditor/observability.py sends it).
CSP_POLICY = env.str("CSP_POLICY", default="").strip() or (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
CSP_REPORT_ONLY = _flag("CSP_REPORT_ONLY", False)

# /healthz: 503 when beat's last heartbeat (projects.heartbeat, every minute) is older than this.
BEAT_MAX_SILENCE_SECONDS = env.int("BEAT_MAX_SILENCE_SECONDS", default=300)

# Optional Prometheus metrics at /metrics (django-prometheus), readable with
# "Authorization: Bearer $METRICS_TOKEN" only: never anonymous.
PROMETHEUS_METRICS = env.bool("PROMETHEUS_METRICS", default=False)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if PROMETHEUS_METRICS:
    if not METRICS_TOKEN:
        raise ImproperlyConfigured("PROMETHEUS_METRICS is on: set METRICS_TOKEN too.")
    INSTALLED_APPS.append("django_prometheus")
    MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        *MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]
