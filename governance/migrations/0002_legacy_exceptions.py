"""Findings already closed as accepted risk or false positive get an approved legacy exception
each, so they keep their status and no score changes."""

from django.db import migrations

CLOSED = {"accepted_risk": "accepted_risk", "false_positive": "false_positive"}
REASON = "Recorded before exceptions existed."
CHUNK = 5000


def forwards(apps, schema_editor):
    Finding = apps.get_model("findings", "Finding")
    PolicyException = apps.get_model("governance", "PolicyException")
    rows = (
        Finding.objects.filter(status__in=list(CLOSED))
        .order_by("pk")
        .values_list("pk", "project_id", "status")
    )
    batch = []
    for pk, project_id, status in rows.iterator(chunk_size=CHUNK):
        batch.append(
            PolicyException(
                project_id=project_id,
                target="finding",
                finding_id=pk,
                reason=CLOSED[status],
                justification=REASON,
                state="approved",
                legacy=True,
            )
        )
        if len(batch) >= CHUNK:
            PolicyException.objects.bulk_create(batch)
            batch = []
    PolicyException.objects.bulk_create(batch)


def backwards(apps, schema_editor):
    apps.get_model("governance", "PolicyException").objects.filter(legacy=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0001_exceptions"),
        ("findings", "0006_finding_comments"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
