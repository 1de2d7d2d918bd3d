"""Importing a scanner report from a file, streamed: memory stays the same whatever the number of
results (PostgreSQL; a 1,000,000-result Bandit report imports in the memory of a 50,000 one).

Small files, other formats and other databases go to `scans.scan_import` whole, which is faster
for them. A large Bandit or SARIF file on PostgreSQL:

1. is read in a first pass (format, metrics, SARIF rules; `importers.stream`) and its results
   are read one by one in a second, checked by the same code as a whole-file import, and copied
   into a temporary table of this session. Bad input stops here, before any row of a real table
   is written (nothing to roll back): the file is refused whole, with the same message.
2. Fingerprints follow docs/fingerprints.md exactly: the path and the identity of each result are
   computed in Python as for a whole file; the two things that need the whole report - the
   folder common to its absolute paths, and the rank of identical results in line order - come
   from PostgreSQL (a window over the staged rows); the digest itself is computed by the same
   Python function (`fingerprints.digest`).
3. In one transaction holding the project's lock, the staged rows are read back in order in
   chunks, each chunk planned against the project's findings and written by
   `scan_writes.write_findings` (the whole-file import's writer); findings the report no
   longer lists are resolved at the end. Statements: a few per chunk of CHUNK_ROWS results.
"""

from __future__ import annotations

import posixpath
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from findings import hooks
from findings.fingerprints import VERSION, normalise_path, normalise_snippet
from findings.fingerprints import _digest as digest
from findings.importers import ParsedScan, ScanFinding, ScanFormatError
from findings.importers.base import clean_text
from findings.importers.stream import ReadWhole, StreamedScan, open_scan
from findings.models import Finding, ImportRun
from findings.services import scans
from findings.services.scan_writes import ACTIVE, FIXED, ImportPlan, copy_text, write_findings
from projects.models import Audit, MaturityDomain, Project
from projects.uploads import upload_size_error

CHUNK_ROWS = 20_000
STAGING = "scan_import_staging"
_COLUMNS = (
    "seq",
    "tool",
    "rule_id",
    "path",
    "kind",
    "ident",
    "line",
    "title",
    "description",
    "severity",
    "confidence",
    "domain_slug",
    "cwe",
    "recommendation",
    "suppressed",
)


def scan_import_file(
    *,
    project: Project,
    path: Path,
    file_name: str = "",
    format: str = "auto",
    audit: Audit | None = None,
    user=None,
    dry_run: bool = False,
) -> ImportRun:
    """Import the report in the file at `path` (see the module's documentation)."""
    file_name = file_name or path.name
    size = path.stat().st_size
    if too_big := upload_size_error(size):
        raise ScanFormatError(too_big, file_name=file_name)
    streams = connection.vendor == "postgresql" and not connection.in_atomic_block
    if not streams or size <= settings.IMPORT_STREAM_BYTES:
        return _whole(project, path, file_name, format, audit, user, dry_run)
    started = time.perf_counter()
    with path.open("rb") as file:
        try:
            scan = open_scan(file, format=format)
        except ReadWhole:
            return _whole(project, path, file_name, format, audit, user, dry_run)
        except ScanFormatError as exc:
            raise exc.with_file(file_name) from None
        scans.refuse_bad_upload(project, b"", file_name, audit)
        scans.refuse_reserved_tool_names(
            ParsedScan(format=scan.format, tool=scan.tool, tools=scan.tools), file_name=file_name
        )
        run = ImportRun(
            project=project,
            audit=audit,
            user=user if getattr(user, "pk", None) else None,
            format=scan.format,
            tool=scan.tool[:100],
            file_name=clean_text(file_name)[:255],
            sha256=scan.sha256,
        )
        try:
            prefix = _stage(scan, file_name)
            run.metrics = scan.metrics
            if dry_run:
                return _apply(run, project, scan, prefix, audit, dry_run=True, started=started)
            run.status = ImportRun.Status.RUNNING
            run.save()  # committed: a process dying mid-import leaves a run the sweep marks failed
            try:
                return _apply(run, project, scan, prefix, audit, dry_run=False, started=started)
            except Exception as exc:
                ImportRun.objects.filter(pk=run.pk).update(
                    status=ImportRun.Status.FAILED,
                    error_message=f"{type(exc).__name__}: {exc}"[:2000],
                    duration_ms=int((time.perf_counter() - started) * 1000),
                )
                raise
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")


def _whole(project, path, file_name, format, audit, user, dry_run) -> ImportRun:
    return scans.scan_import(
        project=project,
        content=path.read_bytes(),
        file_name=file_name,
        format=format,
        audit=audit,
        user=user,
        dry_run=dry_run,
    )


def _stage(scan: StreamedScan, file_name: str) -> str:
    """Read, check and stage every result; returns the folder prefix to strip from absolute paths."""
    root: str | None = None
    paths: dict[str, str] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGING} (seq integer, tool text, rule_id text, path text, "
            "kind text, ident text, line integer, title text, description text, severity integer, "
            "confidence text, domain_slug text, cwe text, recommendation text, suppressed boolean)"
        )
        columns = ", ".join(_COLUMNS)
        with cursor.cursor.copy(f"COPY {STAGING} ({columns}) FROM STDIN") as copy:
            lines: list[str] = []
            try:
                for seq, f in enumerate(scan.findings()):
                    path = paths.get(f.file_path)
                    if path is None:
                        if len(paths) > 100_000:
                            paths.clear()
                        path = paths[f.file_path] = normalise_path(f.file_path)
                    if path.startswith("/"):
                        folder = posixpath.dirname(path)
                        if root is None:
                            root = folder
                        elif folder != root and not folder.startswith(root.rstrip("/") + "/"):
                            root = posixpath.commonpath([root, folder])
                    kind, ident = (
                        ("fp", f.tool_fingerprint)
                        if f.tool_fingerprint
                        else ("code", normalise_snippet(f.snippet))
                    )
                    lines.append(
                        "\t".join(
                            (
                                str(seq),
                                copy_text(f.tool),
                                copy_text(f.rule_id),
                                copy_text(path),
                                kind,
                                copy_text(ident),
                                "\\N" if f.line is None else str(f.line),
                                copy_text(f.title),
                                copy_text(f.description),
                                str(int(f.severity)),
                                copy_text(f.confidence),
                                copy_text(f.domain_slug),
                                copy_text(f.cwe),
                                copy_text(f.recommendation),
                                "t" if f.suppressed else "f",
                            )
                        )
                    )
                    if len(lines) >= 5000:
                        copy.write(_encode(lines))
                        lines = []
            except ScanFormatError as exc:
                raise exc.with_file(file_name) from None
            if lines:
                copy.write(_encode(lines))
        cursor.execute(f"ANALYZE {STAGING}")
    return "" if root is None else root.rstrip("/") + "/"


def _encode(lines: list[str]) -> bytes:
    # PostgreSQL text holds no NUL; cleaned text has none, this is the last guard.
    return ("\n".join(lines) + "\n").replace("\x00", "").encode("utf-8", "replace")


def _apply(
    run: ImportRun,
    project: Project,
    scan: StreamedScan,
    prefix: str,
    audit: Audit | None,
    *,
    dry_run: bool,
    started: float,
) -> ImportRun:
    now = timezone.now()
    domains = dict(MaturityDomain.objects.values_list("slug", "pk"))
    first = ImportPlan()  # the first rows of each change, for the preview
    suppressed: list[ScanFinding] = []
    counts = dict.fromkeys(("create", "still_open", "reopen", "unchanged_closed"), 0)
    with transaction.atomic():
        if not dry_run:
            # Two imports into one project run one after the other, never interleaved.
            list(Project.objects.select_for_update().filter(pk=project.pk).values_list("pk"))
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE scan_import_seen (fingerprint text) ON COMMIT DROP")
        for chunk in _read_back(prefix):
            plan = _plan_chunk(project, chunk)
            for name in counts:
                counts[name] += len(getattr(plan, name))
            room = scans.PREVIEW_ROWS
            first.create.extend(plan.create[: room - len(first.create)])
            first.reopen.extend(plan.reopen[: room - len(first.reopen)])
            suppressed.extend(f for f in chunk if f.suppressed)  # few: only those
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy("COPY scan_import_seen FROM STDIN") as copy,
            ):
                copy.write("".join(f"{f.fingerprint}\n" for f in chunk))
            if not dry_run:
                write_findings(run, plan, domains, now)
        resolve = _to_resolve(project, scan)
        first.resolve = resolve[: scans.PREVIEW_ROWS]
        run.created_count = counts["create"]
        run.still_open_count = counts["still_open"]
        run.reopened_count = counts["reopen"]
        run.unchanged_closed_count = counts["unchanged_closed"]
        run.resolved_count = len(resolve)
        run.error_count = 0
        run.total = run.processed = sum(counts.values())
        if dry_run:
            run.status = ImportRun.Status.DRY_RUN
            run.preview = scans._preview(first)
            run.duration_ms = int((time.perf_counter() - started) * 1000)
            return run
        for start in range(0, len(resolve), CHUNK_ROWS):
            write_findings(run, ImportPlan(resolve=resolve[start : start + CHUNK_ROWS]), domains, now)
        # Approved rule exceptions cover the findings of this report too, new ones included;
        # what the file says the team suppressed asks for an exception (as a whole-file import).
        report = ParsedScan(format=scan.format, tool=scan.tool, findings=suppressed, tools=scan.tools)
        hooks.after_import(project.pk, claims=scans._suppression_claims(report, run), user_id=run.user_id)
        if audit is not None and scan.metrics:
            scans._apply_metrics(audit, scan.metrics)
        run.status = ImportRun.Status.SUCCEEDED
        run.duration_ms = int((time.perf_counter() - started) * 1000)
        run.save()
        run.preview = scans._preview(first)
        scans._schedule_recompute(project.pk)
    return run


def _read_back(prefix: str):
    """The staged results in report order, with their final path and fingerprint, in chunks."""
    sql = (
        "SELECT tool, rule_id, path, kind, ident, line, title, description, severity, confidence, "
        "domain_slug, cwe, recommendation, suppressed, row_number() OVER (PARTITION BY tool, "
        "rule_id, path, kind, ident ORDER BY COALESCE(line, 0), seq) - 1 AS rank "
        "FROM (SELECT seq, tool, rule_id, CASE WHEN %(n)s > 0 AND left(path, %(n)s) = %(prefix)s "
        "THEN substr(path, %(n)s + 1) ELSE path END AS path, kind, ident, line, title, description, "
        "severity, confidence, domain_slug, cwe, recommendation, suppressed "
        "FROM scan_import_staging) AS s ORDER BY seq"
    )
    with connection.connection.cursor(name="scan_import_read_back") as cursor:
        cursor.itersize = CHUNK_ROWS
        cursor.execute(sql, {"n": len(prefix), "prefix": prefix})
        while rows := cursor.fetchmany(CHUNK_ROWS):
            chunk = []
            for row in rows:
                tool, rule_id, path_, kind, ident, line = row[:6]
                chunk.append(
                    ScanFinding(
                        tool=tool,
                        rule_id=rule_id,
                        title=row[6],
                        description=row[7],
                        severity=row[8],
                        confidence=row[9],
                        domain_slug=row[10],
                        cwe=row[11],
                        recommendation=row[12],
                        suppressed=row[13],
                        file_path=path_,
                        line=line,
                        fingerprint=digest(VERSION, tool, rule_id, path_, kind, ident, str(row[14])),
                    )
                )
            yield chunk


def _plan_chunk(project: Project, chunk: list[ScanFinding]) -> ImportPlan:
    known = {
        fingerprint: (pk, status)
        for fingerprint, pk, status in Finding.objects.filter(
            project=project, fingerprint__in=[f.fingerprint for f in chunk]
        ).values_list("fingerprint", "pk", "status")
    }
    plan = ImportPlan()
    for finding in chunk:
        row = known.get(finding.fingerprint)
        if row is None:
            plan.create.append(finding)
        elif row[1] in ACTIVE:
            plan.still_open.append((row[0], finding))
        elif row[1] == FIXED:
            plan.reopen.append((row[0], finding))
        else:
            plan.unchanged_closed.append((row[0], finding))
    return plan


def _to_resolve(project: Project, scan: StreamedScan) -> list[int]:
    """Active findings of the report's tools that it no longer lists (ids, in order)."""
    with connection.cursor() as cursor:
        # The project's findings were just written in this transaction, so the planner's row
        # estimate for them is stale (it expects a few): an index lets each of them be looked up
        # in the report's fingerprints at once, instead of a scan of them all per finding
        # (over 4 minutes at 50,000; built in well under a second).
        cursor.execute("CREATE INDEX ON scan_import_seen (fingerprint)")
        cursor.execute("ANALYZE scan_import_seen")
        cursor.execute(
            "SELECT f.id FROM findings_finding f WHERE f.project_id = %s AND f.status = ANY(%s) "
            "AND f.tool = ANY(%s) AND NOT EXISTS (SELECT 1 FROM scan_import_seen s "
            "WHERE s.fingerprint = f.fingerprint) ORDER BY f.id",
            [project.pk, list(ACTIVE), sorted(scan.tools)],
        )
        return [pk for (pk,) in cursor.fetchall()]
