"""Calibration bench: re-scan a panel of public repositories and check that the scores rank them.

    AUDITOR_CALIBRATION_DIR=/path/to/clones .venv/bin/python bench/calibration.py \
        [--only NAME,...] [--extra NAME=trusted:LANG ...] [--why] [--json FILE] [--strict]

The folder named by AUDITOR_CALIBRATION_DIR holds local git clones, one folder per repository,
named as in PANEL below (fetch them yourself; they are never committed). Without the variable
the bench says so and exits 0. Each repository is re-scanned by the real service, in the
foreground, one after the other (as `manage.py rescan SLUG --force` does), in a throw-away
SQLite database under a temporary folder; then the bench prints one row per repository and the
ordering checks:
  - every trusted project above every vulnerable one of its language, in Security and globally;
  - trusted projects >= 6 in Security and globally; vulnerable ones <= 4 in Security;
  - Security measured (not "not measured") on every repository of the panel.
Each check prints PASS/FAIL with the offending repositories, then "N of M comparisons right".
The same checks apply to any repositories added with --extra (name=trusted|vulnerable:language).
The exit status is 0 unless --strict is given and a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "AUDITOR_CALIBRATION_DIR"
TRUSTED = "trusted"
VULNERABLE = "vulnerable"
CLASSES = (TRUSTED, VULNERABLE)

SECURITY = "security"
TRUSTED_MIN = Decimal("6")
# --why lists the Security findings of production code from this severity (high) on.
WORST_SEVERITY = 3
WORST_LISTED = 15
VULNERABLE_MAX = Decimal("4")


@dataclass(frozen=True)
class PanelRepo:
    name: str  # folder name under AUDITOR_CALIBRATION_DIR
    cls: str  # TRUSTED or VULNERABLE
    language: str  # main language, lower case: repositories are compared within a language
    upstream: str = ""  # owner/name of the public repository, to fetch it


# The development panel: widely trusted projects, and applications written to be vulnerable.
PANEL: tuple[PanelRepo, ...] = (
    PanelRepo("requests", TRUSTED, "python", "psf/requests"),
    PanelRepo("django-rest-framework", TRUSTED, "python", "encode/django-rest-framework"),
    PanelRepo("chi", TRUSTED, "go", "go-chi/chi"),
    PanelRepo("echo", TRUSTED, "go", "labstack/echo"),
    PanelRepo("koa", TRUSTED, "javascript", "koajs/koa"),
    PanelRepo("hyper", TRUSTED, "rust", "hyperium/hyper"),
    PanelRepo("spring-petclinic", TRUSTED, "java", "spring-projects/spring-petclinic"),
    PanelRepo("dvpwa", VULNERABLE, "python", "anxolerd/dvpwa"),
    PanelRepo("Vulnerable-Flask-App", VULNERABLE, "python", "we45/Vulnerable-Flask-App"),
    PanelRepo("go-dvwa", VULNERABLE, "go", "sqreen/go-dvwa"),
    PanelRepo("dvws-node", VULNERABLE, "javascript", "snoopysecurity/dvws-node"),
    PanelRepo("WebGoat", VULNERABLE, "java", "WebGoat/WebGoat"),
)


@dataclass
class Row:
    """What the re-scan of one repository scored."""

    name: str
    cls: str
    language: str
    security: Decimal | None = None
    global_score: Decimal | None = None
    domains: dict[str, Decimal | None] = field(default_factory=dict)
    production_kloc: float | None = None
    total_kloc: float | None = None  # all lines of code, when no repository profile was recorded
    security_share: float | None = None
    seconds: float = 0.0
    error: str = ""  # the run failed or the clone is missing: no score
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Check:
    title: str
    right: int = 0
    total: int = 0
    offenders: list[str] = field(default_factory=list)
    # The right comparison closest to going wrong, and by how many points: how fragile a pass is.
    closest: str = ""
    margin: Decimal | None = None

    @property
    def passed(self) -> bool:
        return self.right == self.total

    def record(self, ok: bool, offender: str, margin: Decimal | None = None, as_right: str = "") -> None:
        """One comparison; `offender` says what is wrong, `as_right` (default: the same) what is right."""
        self.total += 1
        if ok:
            self.right += 1
            if margin is not None and (self.margin is None or margin < self.margin):
                self.margin, self.closest = margin, as_right or offender
        else:
            self.offenders.append(offender)


# --- ordering checks (pure) ---------------------------------------------------------------------


def _fmt(score: Decimal | None) -> str:
    return "n/m" if score is None else str(score)


def _above(a: Decimal | None, b: Decimal | None) -> bool:
    """a strictly above b; an unmeasured score is above nothing and below nothing."""
    return a is not None and b is not None and a > b


def _gap(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a - b


def ordering_checks(rows: Sequence[Row]) -> list[Check]:
    """The calibration targets, each as a list of comparisons that are right or wrong."""
    trusted = [r for r in rows if r.cls == TRUSTED]
    vulnerable = [r for r in rows if r.cls == VULNERABLE]
    checks = []
    for label, attr in (("Security", "security"), ("global", "global_score")):
        check = Check(f"trusted above vulnerable of the same language ({label})")
        for t in trusted:
            for v in vulnerable:
                if t.language != v.language:
                    continue
                a, b = getattr(t, attr), getattr(v, attr)
                check.record(
                    _above(a, b),
                    f"{t.name} {_fmt(a)} <= {v.name} {_fmt(b)} ({t.language})",
                    _gap(a, b),
                    as_right=f"{t.name} {_fmt(a)} > {v.name} {_fmt(b)} ({t.language})",
                )
        checks.append(check)
    for label, attr in (("Security", "security"), ("global", "global_score")):
        check = Check(f"trusted >= {TRUSTED_MIN} ({label})")
        for t in trusted:
            score = getattr(t, attr)
            ok = score is not None and score >= TRUSTED_MIN
            check.record(ok, f"{t.name} {_fmt(score)}", _gap(score, TRUSTED_MIN))
        checks.append(check)
    check = Check(f"vulnerable <= {VULNERABLE_MAX} (Security)")
    for v in vulnerable:
        check.record(
            v.security is not None and v.security <= VULNERABLE_MAX,
            f"{v.name} {_fmt(v.security)}",
            _gap(VULNERABLE_MAX, v.security),
        )
    checks.append(check)
    check = Check("Security measured on every repository (each language of the panel)")
    for r in rows:
        check.record(r.security is not None, f"{r.name} ({r.language}): {r.error or 'not measured'}")
    checks.append(check)
    return checks


def summary_line(checks: Iterable[Check]) -> str:
    checks = list(checks)
    right = sum(c.right for c in checks)
    total = sum(c.total for c in checks)
    passed = sum(1 for c in checks if c.passed)
    return f"{right} of {total} comparisons right; {passed} of {len(checks)} checks pass"


# --- arguments -----------------------------------------------------------------------------------


def parse_extra(text: str) -> PanelRepo:
    """`name=trusted:language` -> a panel entry; a clear message on bad input."""
    name, sep, rest = text.partition("=")
    cls, sep2, language = rest.partition(":")
    name, cls, language = name.strip(), cls.strip().lower(), language.strip().lower()
    if not sep or not sep2 or not name or not language or cls not in CLASSES:
        raise argparse.ArgumentTypeError(
            f"--extra {text!r}: expected NAME=trusted:LANGUAGE or NAME=vulnerable:LANGUAGE"
        )
    if "/" in name or name in {".", ".."}:
        raise argparse.ArgumentTypeError(f"--extra {text!r}: NAME is a folder name, not a path")
    return PanelRepo(name, cls, language)


def select_panel(extra: Sequence[PanelRepo], only: str) -> list[PanelRepo]:
    panel = {repo.name: repo for repo in PANEL}
    for repo in extra:
        panel[repo.name] = repo
    if not only:
        return list(panel.values())
    wanted = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in panel]
    if unknown:
        raise SystemExit(f"--only: not in the panel: {', '.join(unknown)} (add them with --extra)")
    return [panel[name] for name in wanted]


# --- the runs (Django) ---------------------------------------------------------------------------


def _clone_branch(path: Path) -> str:
    out = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--abbrev-ref", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    branch = out.stdout.strip()
    return branch if out.returncode == 0 and branch and branch != "HEAD" else ""


def _slug(name: str) -> str:
    return "calib-" + "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")[:80]


def _domains():
    from projects.models import MaturityDomain

    return list(MaturityDomain.objects.order_by("display_order", "name"))


def _kind_of(path: str) -> str:
    try:
        from scoring.paths import classify_path
    except ImportError:
        return "?"
    return classify_path(path) if path else "?"


def _security_share(audit_id: int) -> float | None:
    """Share of production code the applicable Security analyzers read (formula 2.0 data)."""
    try:
        from scoring.components import domain_coverage
        from scoring.selectors import audit_measurements
    except ImportError:
        return None
    measured = audit_measurements(audit_id=audit_id)
    if measured.profile is None:
        return None
    return domain_coverage(SECURITY, measured.profile, measured.runs).share


def _production_kloc(audit) -> float | None:
    from scoring.models import AuditProfile

    profile = AuditProfile.objects.filter(audit_id=audit.pk).first()
    if profile is not None:
        return profile.production_lines / 1000
    return None


def _one_line(text: str, limit: int = 200) -> str:
    flat = " / ".join(part.strip() for part in text.splitlines() if part.strip())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _details(audit, run) -> dict[str, Any]:
    """Why the scores are what they are: analyzers, evidence, the findings that dominate."""
    from findings.models import Finding
    from projects.models import DomainScore
    from scoring.models import AuditAnalyzerRun, AuditProfile

    details: dict[str, Any] = {
        "parts": run.parts if run else {},
        "unmeasured": audit.unmeasured_domains or {},
        "lines_of_code": audit.lines_of_code,
    }
    details["analyzers"] = [
        {
            "name": r.name,
            "status": r.status,
            "domains": r.domains,
            "languages": r.languages,
            "covered_lines": r.covered_lines,
            "findings": r.findings,
            "seconds": r.seconds,
            "error": r.error,
        }
        for r in AuditAnalyzerRun.objects.filter(audit=audit).order_by("name")
    ]
    profile = AuditProfile.objects.filter(audit=audit).first()
    if profile is not None:
        details["languages"] = profile.languages
        details["practices"] = profile.practices
    details["scores"] = {
        ds.domain.slug: {
            "score": None if ds.score is None else str(ds.score),
            "formula": ds.formula_version,
            "rationale": ds.rationale,
            "evidence": [
                {k: e.get(k) for k in ("kind", "label", "effect") if e.get(k)} for e in ds.evidence or []
            ],
        }
        for ds in DomainScore.objects.filter(audit=audit).select_related("domain")
    }
    by_rule: Counter = Counter()
    worst = []
    for domain, tool, rule, severity, confidence, path, line in Finding.objects.filter(
        project=audit.project_id, status__in=Finding.ACTIVE_STATUSES
    ).values_list("domain__slug", "tool", "rule_id", "severity", "confidence", "file_path", "line"):
        kind = _kind_of(path)
        by_rule[(domain or "-", tool, rule, severity, kind)] += 1
        if domain == SECURITY and severity >= WORST_SEVERITY and kind == "production":
            worst.append(f"sev{severity} {confidence or '-'} {tool} {rule} {path}:{line or ''}")
    details["worst"] = sorted(worst, reverse=True)[:WORST_LISTED]
    details["findings"] = [
        {"domain": d, "tool": t, "rule": r, "severity": s, "kind": k, "count": n}
        for (d, t, r, s, k), n in by_rule.most_common()
    ]
    return details


def scan_one(repo: PanelRepo, path: Path) -> Row:
    from projects.models import Audit, DomainScore, Project
    from rescans.models import RescanRun
    from rescans.services import audit_rescan_run, project_rescan_request

    row = Row(repo.name, repo.cls, repo.language)
    if not (path / ".git").exists():
        row.error = "no git clone in the calibration folder"
        return row
    project = Project.objects.create(
        name=repo.name, slug=_slug(repo.name), repository_url=str(path), branch=_clone_branch(path)
    )
    started = time.perf_counter()
    try:
        audit = project_rescan_request(project_id=project.pk, force=True, reason="command", enqueue=False)
        audit = audit_rescan_run(audit_id=audit.pk) if audit is not None else None
    except Exception as exc:  # noqa: BLE001 - one repository's failure is reported, the others still run
        row.seconds = time.perf_counter() - started
        row.error = _one_line(f"re-scan raised {type(exc).__name__}: {exc}")
        return row
    row.seconds = time.perf_counter() - started
    if audit is None:
        row.error = "the re-scan did not run"
        return row
    run = RescanRun.objects.filter(audit=audit).first()
    if audit.status != Audit.Status.COMPLETED:
        row.error = _one_line(f"re-scan {audit.status}: {run.error if run else ''}")
        return row
    scores = {
        ds.domain.slug: ds.score for ds in DomainScore.objects.filter(audit=audit).select_related("domain")
    }
    row.domains = {d.slug: scores.get(d.slug) for d in _domains()}
    row.security = scores.get(SECURITY)
    row.global_score = audit.global_score
    row.production_kloc = _production_kloc(audit)
    if row.production_kloc is None and audit.lines_of_code is not None:
        row.total_kloc = audit.lines_of_code / 1000
    row.security_share = _security_share(audit.pk)
    row.details = _details(audit, run)
    return row


# --- printing ------------------------------------------------------------------------------------


SHORT = {
    "security": "Sec",
    "code-quality": "Qual",
    "testing": "Test",
    "documentation": "Doc",
    "deployment": "Depl",
    "observability": "Obs",
    "architecture": "Arch",
    "performance": "Perf",
}


def _short(slug: str) -> str:
    return SHORT.get(slug, slug[:5].capitalize())


def _kloc(r: Row) -> str:
    if r.production_kloc is not None:
        return f"{r.production_kloc:.1f}"
    return "-" if r.total_kloc is None else f"{r.total_kloc:.1f}*"


def table(rows: Sequence[Row], domain_slugs: Sequence[str]) -> str:
    head = ["repo", "class", "language", "KLOC"] + [_short(s) for s in domain_slugs]
    head += ["Global", "Sec%", "seconds"]
    lines = []
    for r in rows:
        cells = [
            r.name,
            r.cls,
            r.language,
            _kloc(r),
        ]
        if r.error:
            cells += ["-"] * len(domain_slugs) + ["-", "-", f"{r.seconds:.0f}"]
        else:
            cells += [_fmt(r.domains.get(s)) for s in domain_slugs]
            cells += [
                _fmt(r.global_score),
                "-" if r.security_share is None else f"{r.security_share * 100:.0f}%",
                f"{r.seconds:.0f}",
            ]
        lines.append(cells)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines, strict=True)]

    def line(cells: Sequence[str]) -> str:
        # Names left-aligned, figures right-aligned.
        return "  ".join(
            c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [line(head), *(line(cells) for cells in lines)]
    if any(r.production_kloc is None and r.total_kloc is not None for r in rows):
        out.append("  * all lines of code: the re-scan recorded no production/test split")
    for r in rows:
        if r.error:
            out.append(f"  {r.name}: {r.error}")
    return "\n".join(out)


def checks_text(checks: Sequence[Check]) -> str:
    out = []
    for c in checks:
        line = f"{'PASS' if c.passed else 'FAIL'}  {c.title}: {c.right}/{c.total}"
        if c.closest:
            line += f"  (closest: {c.closest}, margin {c.margin})"
        out.append(line)
        out.extend(f"        {o}" for o in c.offenders)
    out.append(summary_line(checks))
    return "\n".join(out)


def why_text(rows: Sequence[Row], top: int = 8) -> str:
    """Per repository: analyzers, the Security evidence, and the findings that weigh most."""
    out = []
    for r in rows:
        if r.error or not r.details:
            continue
        d = r.details
        out.append(f"== {r.name} ({r.cls}, {r.language})")
        parts = ", ".join(
            f"{n} {p.get('status')} {p.get('duration_s', 0):.0f}s/{p.get('findings', '-')}"
            for n, p in d["parts"].items()
        )
        out.append(f"  parts: {parts}")
        for a in d.get("analyzers", []):
            out.append(
                f"  analyzer {a['name']}: {a['status']} on {','.join(a['languages']) or 'whole repo'}"
                f" ({a['covered_lines']} lines, {a['findings']} findings) {a['error']}".rstrip()
            )
        if d.get("languages"):
            langs = sorted(d["languages"], key=lambda x: -x.get("production", 0))[:6]
            out.append(
                "  languages: "
                + "; ".join(
                    f"{x['language']} prod {x.get('production', 0)} test {x.get('test', 0)}"
                    f" fix {x.get('fixture', 0)} docs {x.get('docs', 0)} vend {x.get('vendored', 0)}"
                    for x in langs
                )
            )
        for slug, s in d["scores"].items():
            out.append(f"  {slug} {s['score'] or 'n/m'} (formula {s['formula']}): {s['rationale'][:300]}")
            if slug == SECURITY:
                for e in s["evidence"][:top]:
                    out.append(f"      {e.get('kind', '')}: {e.get('label', '')} {e.get('effect', '')}")
        if d.get("worst"):
            out.append("  high and critical Security findings in production code:")
            out.extend(f"      {w}" for w in d["worst"])
        sec = [f for f in d["findings"] if f["domain"] == SECURITY][:top]
        if sec:
            out.append("  top security rules (count severity kind tool rule):")
            out.extend(
                f"      {f['count']:5d} sev{f['severity']} {f['kind']:<10} {f['tool']} {f['rule']}"
                for f in sec
            )
    return "\n".join(out)


def _jsonable(rows: Sequence[Row], checks: Sequence[Check]) -> dict[str, Any]:
    def conv(value):
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dict):
            return {k: conv(v) for k, v in value.items()}
        if isinstance(value, list):
            return [conv(v) for v in value]
        return value

    return {
        "rows": [conv(asdict(r)) for r in rows],
        "checks": [{**asdict(c), "passed": c.passed} for c in checks],
        "summary": summary_line(checks),
    }


# --- main ----------------------------------------------------------------------------------------


def _setup_django(work: Path, clones: Path) -> None:
    """A throw-away database and state folder, local clones allowed, no mail, no broker."""
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'calibration.sqlite3'}"
    os.environ["AUDITOR_VAR_DIR"] = str(work / "var")
    os.environ["SCAN_LOCAL_ROOTS"] = str(clones)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditor.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0, interactive=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", action="append", type=parse_extra, default=[], metavar="NAME=CLASS:LANG")
    parser.add_argument("--only", default="", help="comma-separated folder names: scan only these")
    parser.add_argument("--why", action="store_true", help="print, per repository, what the scores rest on")
    parser.add_argument("--json", type=Path, help="also write rows, details and checks to this file")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a check fails")
    args = parser.parse_args(argv)

    folder = os.environ.get(ENV_VAR, "").strip()
    if not folder:
        print(f"Calibration skipped: {ENV_VAR} is not set (a folder of local clones of the panel).")
        return 0
    clones = Path(folder).expanduser().resolve()
    if not clones.is_dir():
        print(f"Calibration skipped: {ENV_VAR}={folder} is not a folder.")
        return 0
    panel = select_panel(args.extra, args.only)
    try:
        os.nice(10)  # the scanners inherit it: the machine stays usable during a long bench
    except OSError:
        pass
    work = Path(tempfile.mkdtemp(prefix="auditor-calibration-"))
    try:
        _setup_django(work, clones)
        from django.conf import settings

        # Security first: the column the ordering checks read most.
        slugs = sorted((d.slug for d in _domains()), key=lambda slug: slug != SECURITY)
        rows = []
        for repo in panel:
            print(f"re-scanning {repo.name} ...", file=sys.stderr, flush=True)
            row = scan_one(repo, clones / repo.name)
            print(
                f"  {repo.name}: Security {_fmt(row.security)}, global {_fmt(row.global_score)},"
                f" {row.seconds:.0f} s{' - ' + row.error if row.error else ''}",
                file=sys.stderr,
                flush=True,
            )
            rows.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    checks = ordering_checks(rows)
    formulas = sorted({s["formula"] or "?" for r in rows for s in r.details.get("scores", {}).values()})
    print(
        f"Calibration: {len(rows)} repositories, formula {', '.join(formulas) or '-'}, "
        f"{os.cpu_count()} CPUs, "
        f"SCAN_PARALLELISM={settings.SCAN_PARALLELISM}, total {sum(r.seconds for r in rows):.0f} s"
    )
    print(table(rows, slugs))
    print()
    print(checks_text(checks))
    if args.why:
        print()
        print(why_text(rows))
    if args.json:
        args.json.write_text(json.dumps(_jsonable(rows, checks), indent=1, default=str))
    return 1 if args.strict and not all(c.passed for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
