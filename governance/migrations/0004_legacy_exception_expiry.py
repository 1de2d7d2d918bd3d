"""Legacy exceptions (findings closed as accepted risk before exceptions existed) never expired.
Accepted risk requires an expiry: each one that has none expires EXCEPTION_DEFAULT_EXPIRY_DAYS
(90 by default) after this upgrade, and its finding's thread says so (watchers read it in their
digest; the expiry reminders 30, 7 and 1 days before go to the project's tech lead). No row is
deleted; false positives keep no expiry, as for every exception. Then the database requires an
expiry of every accepted risk, legacy or not."""

import datetime as dt

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

CHUNK = 5000


def note(pk: int, expires_on: dt.date) -> str:
    return (
        f"Exception #{pk} was recorded before exceptions existed and never expired. An accepted "
        f"risk needs an expiry: it now expires on {expires_on:%Y-%m-%d}, "
        f"{settings.EXCEPTION_DEFAULT_EXPIRY_DAYS} days after the upgrade (setting "
        "EXCEPTION_DEFAULT_EXPIRY_DAYS). Request a new exception before then to keep the risk "
        "accepted; otherwise the finding reopens. Reminders come in the daily digest."
    )


def forwards(apps, schema_editor):
    PolicyException = apps.get_model("governance", "PolicyException")
    FindingComment = apps.get_model("findings", "FindingComment")
    expires_on = timezone.localdate() + dt.timedelta(days=settings.EXCEPTION_DEFAULT_EXPIRY_DAYS)
    legacy = PolicyException.objects.filter(legacy=True, reason="accepted_risk", expires_on__isnull=True)
    announced = (
        legacy.filter(state="approved", finding__isnull=False).order_by("pk").values_list("pk", "finding_id")
    )
    batch = []
    for pk, finding_id in announced.iterator(chunk_size=CHUNK):
        batch.append(FindingComment(finding_id=finding_id, body=note(pk, expires_on)))
        if len(batch) >= CHUNK:
            FindingComment.objects.bulk_create(batch)
            batch = []
    FindingComment.objects.bulk_create(batch)
    legacy.update(expires_on=expires_on)


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0003_exception_origin"),
        ("findings", "0006_finding_comments"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="policyexception",
            name="exception_accepted_risk_expires",
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="policyexception",
            name="legacy",
            field=models.BooleanField(
                default=False,
                help_text="Recorded before exceptions existed (no requester or approver); an accepted "
                "risk got an expiry when it was upgraded.",
            ),
        ),
        migrations.AddConstraint(
            model_name="policyexception",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("reason", "accepted_risk"), _negated=True),
                    ("expires_on__isnull", False),
                    _connector="OR",
                ),
                name="exception_accepted_risk_expires",
            ),
        ),
    ]
