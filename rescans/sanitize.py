"""Clean text that comes back from analyzers before anything of it is stored or shown.

An analyzer reads a repository somebody else controls, so what it prints may quote anything it
was tricked into reading: a file outside the checkout, an environment file, its own process
state. Every string of a scanner's output (finding fields, metrics, the raw report, the error
text of a failed run) goes through `clean_text`, which:

- removes NUL, other control characters (tab and newline stay), lone surrogates and the
  bidirectional overrides that make text display differently from what it is;
- rewrites paths inside a checkout as repository-relative paths and replaces every other
  absolute path (/etc/..., /root/..., auditor's own folders) with a marker;
- replaces what looks like a secret (URL credentials, private keys, cloud and forge tokens,
  `NAME=value` where the name says secret) and the values of auditor's own secret settings;
- caps the length.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.signals import setting_changed

CHECKOUT_PREFIX = "auditor-scan-"  # temporary folder of a re-scan: <tmp>/auditor-scan-XXXX/repo
SECRET_MARK = "[secret removed]"  # noqa: S105 (the marker that replaces secrets)
PATH_MARK = "[path removed]"
TRUNCATED_MARK = "…[truncated]"
DEFAULT_LIMIT = 10_000
MIN_OWN_SECRET_CHARS = 8  # shorter setting values would match ordinary words

# Words in a name that say its value is a secret.
SECRET_WORDS = [
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PWD",
    "TOKEN",
    "API_?KEY",
    "ACCESS_?KEY",
    "PRIVATE_?KEY",
    "CREDENTIALS?",
    "AUTH",
    "DSN",
    "DATABASE_URL",
]
SECRET_NAME = "(?:" + "|".join(SECRET_WORDS) + ")"
# Names of auditor's own settings and environment variables whose value is a secret.
OWN_SECRET_NAME_RE = re.compile(
    r"(?:^|_)(?:SECRET|SECRET_KEY|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIALS?|DSN)$"
    r"|^SECRET_KEY_FALLBACKS$|^DATABASE_URL$"
)
# Tab and newline are kept; every other C0/C1 control, DEL, and the bidirectional controls go.
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SURROGATE_RE = re.compile("[\ud800-\udfff]")
CHECKOUT_RE = re.compile(r"(?:/[^\s'\"<>/]+)*/" + re.escape(CHECKOUT_PREFIX) + r"[A-Za-z0-9_]+/repo(?:/|\b)")
# An absolute path: a slash not preceded by a word character, ':', '/', '.', '<' or '~' (so URLs,
# fractions, "and/or" and closing tags are left alone), then a name. "~/..." counts too.
ABSOLUTE_PATH_RE = re.compile(r"(?<![\w:/.<~\\-])(?:~?/)[A-Za-z._~][\w.@+~-]*(?:/[\w.@+~-]*)*")
URL_CREDENTIALS_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@")
PRIVATE_KEY_RE = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S
)
TOKEN_RES = [
    re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b"),  # AWS key ids
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),  # GitHub tokens
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"),
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"),  # GitLab
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),  # Slack
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),  # Google API keys
    re.compile(r"\bsk_live_[0-9A-Za-z]{16,}\b"),  # Stripe
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),  # JWT
    re.compile(r"\baud_[A-Za-z0-9_-]{20,}"),  # auditor's own API tokens
    re.compile(r"(?i)\b(?<=bearer )[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)\b(?<=basic )[A-Za-z0-9+/=]{8,}"),
]
NAME = r"\b[\w.-]*" + SECRET_NAME + r"[\w.-]*"
# Cheap tests (substrings, no regular expression) that decide which patterns may match at all.
SECRET_WORDS_LOWER = tuple(w.lower().replace("_?", "").replace("s?", "") for w in SECRET_WORDS) + (
    "api_key",
    "access_key",
    "private_key",
)
TOKEN_STARTS: tuple[str, ...] = (
    "AKIA",
    "ASIA",
    "AGPA",
    "AIDA",
    "AROA",
    "ANPA",
    "ANVA",
    "AIPA",
    "ghp_",
    "gho_",
    "ghu_",
)
TOKEN_STARTS += ("ghs_", "ghr_", "github_pat_", "glpat-", "xox", "AIza", "sk_live_", "eyJ", "aud_")


def _has_secret_word(lower: str) -> bool:
    return any(word in lower for word in SECRET_WORDS_LOWER)


def _has_token_start(text: str, lower: str) -> bool:
    return any(start in text for start in TOKEN_STARTS) or "bearer" in lower or "basic" in lower


# NAME = "value" / NAME: 'value' (any length), NAME=value (env-file style, no space), and
# NAME: value, unquoted, long and holding a digit or a symbol, so that prose such as
# "Committed secret: AWS Access Key" stays readable.
ASSIGNMENT_RES = [
    re.compile(r"(?i)(" + NAME + r"['\"]?\s*[:=]\s*)(['\"])(?!" + re.escape(SECRET_MARK) + r")(.+?)\2"),
    re.compile(r"(?i)(" + NAME + r"=)(?!" + re.escape(SECRET_MARK) + r")([^\s'\",;]+)"),
    re.compile(
        r"(?i)(" + NAME + r":\s*)(?!" + re.escape(SECRET_MARK) + r")(?=[^\s'\",;]*[\d_/+=.-])([^\s'\",;]{8,})"
    ),
]


def clean_text(
    value: Any, *, limit: int = DEFAULT_LIMIT, workspace: Path | str | None = None, keep_paths: bool = False
) -> str:
    """`value` as safe text: see the module docstring. Bytes are decoded as UTF-8.

    `keep_paths` is for names the repository itself committed (a link's target), which are
    shown as they are; analyzer output never keeps its paths."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    else:
        text = value if isinstance(value, str) else str(value)
    if not text:
        return text
    # Work on a bounded slice: redaction never needs more than the kept length plus some margin.
    text = text[: limit * 2 + 1000] if limit else text
    text = SURROGATE_RE.sub("\ufffd", text)
    text = CONTROL_RE.sub("", text)
    own = _own_secrets_re()
    lower = text.lower()
    if (
        "/" in text
        or "@" in text
        or "~" in text
        or "-----BEGIN" in text
        or _has_token_start(text, lower)
        or _has_secret_word(lower)
        or (own is not None and own.search(text))
        or workspace is not None
    ):
        text = _redact(text, own, workspace, keep_paths)
    if limit and len(text) > limit:
        text = text[: max(0, limit - len(TRUNCATED_MARK))] + TRUNCATED_MARK
    return text


def _redact(text: str, own: re.Pattern[str] | None, workspace: Path | str | None, keep_paths: bool) -> str:
    # Each family of patterns runs only when a cheap test says it may match.
    if "-----BEGIN" in text:
        text = PRIVATE_KEY_RE.sub(SECRET_MARK, text)
    if "@" in text:
        text = URL_CREDENTIALS_RE.sub(r"\1***@", text)
    if own is not None:
        text = own.sub(SECRET_MARK, text)
    lower = text.lower()
    if _has_token_start(text, lower):
        for pattern in TOKEN_RES:
            text = pattern.sub(SECRET_MARK, text)
    if _has_secret_word(lower):
        text = ASSIGNMENT_RES[0].sub(lambda m: f"{m[1]}{m[2]}{SECRET_MARK}{m[2]}", text)
        for pattern in ASSIGNMENT_RES[1:]:
            text = pattern.sub(lambda m: f"{m[1]}{SECRET_MARK}", text)
    if workspace is not None:
        text = _relative_to(text, str(workspace))
    if not keep_paths and ("/" in text):
        text = CHECKOUT_RE.sub("", text)
        text = ABSOLUTE_PATH_RE.sub(PATH_MARK, text)
    return text


def _relative_to(text: str, workspace: str) -> str:
    for root in {workspace.rstrip("/"), os.path.realpath(workspace).rstrip("/")}:
        if root and root != "/":
            text = text.replace(root + "/", "").replace(root, ".")
    return text


def clean_data(value: Any, *, limit: int = DEFAULT_LIMIT, workspace: Path | str | None = None) -> Any:
    """A JSON-like structure with every string (keys included) cleaned; numbers that are not
    finite become None, so the result always serialises as standard JSON."""
    if isinstance(value, str):
        return clean_text(value, limit=limit, workspace=workspace)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {
            clean_text(str(k), limit=limit, workspace=workspace): clean_data(
                v, limit=limit, workspace=workspace
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [clean_data(v, limit=limit, workspace=workspace) for v in value]
    return clean_text(str(value), limit=limit, workspace=workspace)


def clean_url(value: str) -> str:
    """A help link is kept only when it is an http(s) URL without credentials."""
    text = clean_text(value, limit=2000)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or "@" in parts.netloc or not parts.netloc:
        return ""
    return text


# --- auditor's own secrets --------------------------------------------------------------------


def _secret_values(name: str, value: Any) -> Iterable[str]:
    """The secret parts of one setting or environment variable (by its name and shape)."""
    if isinstance(value, str):
        parts = urlsplit(value) if "://" in value else None
        if parts is not None and parts.password:
            yield parts.password
            yield value
        elif OWN_SECRET_NAME_RE.search(name):
            yield value
    elif isinstance(value, list | tuple) and OWN_SECRET_NAME_RE.search(name):
        for item in value:
            if isinstance(item, str):
                yield item
    elif isinstance(value, dict) and name in ("DATABASES", "CACHES"):
        for alias in value.values():
            if isinstance(alias, dict):
                for key in ("PASSWORD", "LOCATION"):
                    yield from _secret_values(key, alias.get(key))


def own_secrets() -> list[str]:
    """Values of auditor's settings and environment that are secrets, longest first."""
    found: set[str] = set()
    for name in dir(settings):
        if name.isupper():
            found.update(_secret_values(name, getattr(settings, name, None)))
    for name, value in os.environ.items():
        found.update(_secret_values(name, value))
    return sorted((s for s in found if len(s) >= MIN_OWN_SECRET_CHARS), key=lambda s: (-len(s), s))


@functools.lru_cache(maxsize=1)
def _own_secrets_re() -> re.Pattern[str] | None:
    values = own_secrets()
    return re.compile("|".join(re.escape(v) for v in values)) if values else None


def forget_own_secrets(**_kwargs: Any) -> None:
    """Read auditor's secrets again on next use (settings or the environment changed)."""
    _own_secrets_re.cache_clear()


setting_changed.connect(forget_own_secrets, dispatch_uid="rescans.sanitize.forget_own_secrets")
