"""`manage.py rescan SLUG [--force]`: one re-scan in the foreground, same code as the Celery task."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from projects.models import Project
from rescans.services import audit_rescan_run, project_rescan_request, running_scan


class Command(BaseCommand):
    help = "Re-scan one project's repository now and print what changed since the previous re-scan."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the project's slug")
        parser.add_argument(
            "--force", action="store_true", help="scan even if the commit and configuration did not change"
        )
        parser.add_argument("--json", action="store_true", help="print the scan details as JSON")

    def handle(self, *args, slug: str, force: bool, json: bool, **options):
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            raise CommandError(f"No project with slug {slug!r}.")
        audit = project_rescan_request(project_id=project.pk, force=force, reason="command", enqueue=False)
        if audit is None:
            running = running_scan(project_id=project.pk)
            raise CommandError(f"A re-scan of {slug} is already queued or running (audit #{running.pk}).")
        result = audit_rescan_run(audit_id=audit.pk)
        if result is None:
            raise CommandError(f"Re-scan audit #{audit.pk} was taken by another process.")
        self._print(result, as_json=json)
        if result.status != result.Status.COMPLETED:
            raise CommandError(f"Re-scan failed: {(result.scan_details or {}).get('error', 'unknown error')}")

    def _print(self, audit, *, as_json: bool) -> None:
        details = audit.scan_details or {}
        if as_json:
            self.stdout.write(json_dumps(details))
            return
        w = self.stdout.write
        w(
            f"Audit #{audit.pk} ({audit.project.slug}): {audit.status}, outcome {details.get('outcome')}, "
            f"commit {audit.commit_sha[:12] or '-'}"
        )
        for name, part in (details.get("parts") or {}).items():
            line = f"  {name:<15} {part['status']:<8} {part.get('duration_s', 0):>7.2f} s"
            if part["status"] == "ok":
                line += f"  {part.get('findings', 0)} finding(s)"
            else:
                line += f"  {part.get('error', '')}"
            w(line)
        for domain, why in (details.get("not_measured") or {}).items():
            w(f"  not measured: {domain} ({why})")
        change = details.get("change") or {}
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


def json_dumps(data) -> str:
    return json.dumps(data, indent=2, default=str)
