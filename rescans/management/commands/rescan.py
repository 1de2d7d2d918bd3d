"""`manage.py rescan SLUG [--force]`: one re-scan in the foreground, same code as the Celery task."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.models import Audit, Project
from rescans.models import RescanRun
from rescans.selectors import running_scan
from rescans.services import audit_rescan_run, project_rescan_request


class Command(BaseCommand):
    help = "Re-scan one project's repository now and print what changed since the previous re-scan."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the project's slug")
        parser.add_argument(
            "--force", action="store_true", help="scan even if the commit and configuration did not change"
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="a full re-scan: every file analysed again, nothing carried from the previous run "
            "(implies --force)",
        )
        parser.add_argument("--json", action="store_true", help="print the scan details as JSON")

    def handle(self, *args: Any, slug: str, force: bool, json: bool, **options: Any) -> None:
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            raise CommandError(f"No project with slug {slug!r}.")
        force = force or bool(options.get("full"))  # a forced re-scan is always full
        audit = project_rescan_request(project_id=project.pk, force=force, reason="command", enqueue=False)
        if audit is None:
            running = running_scan(project_id=project.pk)
            which = f" (audit #{running.pk})" if running is not None else ""
            raise CommandError(f"A re-scan of {slug} is already queued or running{which}.")
        result = audit_rescan_run(audit_id=audit.pk)
        if result is None:
            raise CommandError(f"Re-scan audit #{audit.pk} was taken by another process.")
        run = RescanRun.objects.get(audit=result)
        self._print(result, run, as_json=json)
        if result.status != Audit.Status.COMPLETED:
            raise CommandError(f"Re-scan failed: {run.error or 'unknown error'}")

    def _print(self, audit: Audit, run: RescanRun, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json_dumps(run_as_dict(audit, run)))
            return
        w = self.stdout.write
        w(
            f"Audit #{audit.pk} ({audit.project.slug}): {audit.status}, outcome {run.outcome or None}, "
            f"commit {audit.commit_sha[:12] or '-'}"
        )
        if run.scan_mode_note:
            w(f"  {run.scan_mode_note}; files analysed: {run.files_analysed}")
        for name, part in run.parts.items():
            line = f"  {name:<15} {part['status']:<8} {part.get('duration_s', 0):>7.2f} s"
            if part["status"] == "ok":
                line += f"  {part.get('findings', 0)} finding(s)"
            else:
                line += f"  {part.get('error', '')}"
            w(line)
        for domain, why in (audit.unmeasured_domains or {}).items():
            w(f"  not measured: {domain} ({why})")
        change = run.change
        if change:
            prev = change.get("previous_audit")
            w(
                f"Change since {'audit #' + str(prev) if prev else 'nothing (first automated audit)'}: "
                f"{change['new_count']} new, {change['fixed_count']} fixed finding(s)"
            )
            g = change.get("global") or {}
            w(
                f"  global score: {g.get('before') or '-'} -> {g.get('after') or 'not measured'}"
                + (f" ({g['delta']})" if g.get("delta") else "")
            )
            for slug, d in (change.get("domains") or {}).items():
                w(
                    f"  {slug:<15} {d['before'] or '-':>5} -> {d['after'] or '-':>5}"
                    + (f" ({d['delta']})" if d.get("delta") else "")
                )
            if change.get("regression"):
                w("REGRESSION: tech lead and members are e-mailed.")


def run_as_dict(audit: Audit, run: RescanRun) -> dict[str, Any]:
    """The run as one JSON document (the keys scripts read since the first version)."""
    return {
        "state": run.state,
        "reason": run.reason,
        "force": run.force,
        "requested_at": run.requested_at,
        "requested_by": run.requested_by,
        "config_hash": run.config_hash,
        "outcome": run.outcome,
        "error": run.error,
        "commit": audit.commit_sha,
        "same_as_audit": run.same_as_id,
        "parts": run.parts,
        "missing": run.missing,
        "not_measured": audit.unmeasured_domains,
        "duration_s": run.duration_s,
        "incremental": run.incremental,
        "files_analysed": run.files_analysed,
        "scan_mode_note": run.scan_mode_note,
        "change": run.change,
        "regression_notified_at": run.regression_notified_at,
    }


def json_dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, default=str)
