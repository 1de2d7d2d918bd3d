import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from checklists import services


class Command(BaseCommand):
    help = (
        "Send each owner one digest of their checklists overdue or due within 7 days "
        "(what the daily beat task does). Owners already sent to today are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would receive what; send and record nothing."
        )
        parser.add_argument("--date", help="Run as if today were this date (YYYY-MM-DD).")

    def handle(self, *args, dry_run=False, date=None, **options):
        today = None
        if date:
            try:
                today = dt.date.fromisoformat(date)
            except ValueError as exc:
                raise CommandError(f"--date {date!r} is not a date in YYYY-MM-DD form.") from exc
        run = services.reminders_send(today=today, dry_run=dry_run)
        if dry_run:
            for checklists in run.planned.values():
                owner = checklists[0].owner
                self.stdout.write(f"{owner.get_username()} <{owner.email}>:")
                for c in checklists:
                    flag = "OVERDUE" if c.is_overdue else "due"
                    self.stdout.write(
                        f"  - {c.title} ({c.project.name}) {flag} {c.due_date}, "
                        f"{c.todo_count} open, {c.critical_open} critical"
                    )
        for owner_id, error in run.failed.items():
            self.stderr.write(f"user {owner_id}: {error}")
        self.stdout.write(run.summary())
        if run.failed:
            raise CommandError(f"{len(run.failed)} digest(s) failed; the next run retries them.")
