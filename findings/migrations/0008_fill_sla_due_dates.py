"""Existing findings get their SLA due date from their first sighting and the global settings
(no project has its own SLA yet), and fixed ones whether they were fixed in time."""

import datetime as dt

from django.conf import settings
from django.db import migrations, models
from django.db.models import Case, ExpressionWrapper, F, Value, When
from django.db.models.functions import Coalesce

SETTING_BY_SEVERITY = {4: "SLA_DAYS_CRITICAL", 3: "SLA_DAYS_HIGH", 2: "SLA_DAYS_MEDIUM", 1: "SLA_DAYS_LOW"}


def forwards(apps, schema_editor):
    Finding = apps.get_model("findings", "Finding")
    for severity, setting in SETTING_BY_SEVERITY.items():
        days = getattr(settings, setting)
        Finding.objects.filter(severity=severity, sla_due_at__isnull=True).update(
            sla_due_at=ExpressionWrapper(
                Coalesce(F("first_seen_at"), F("created_at")) + dt.timedelta(days=days),
                output_field=models.DateTimeField(),
            )
        )
    Finding.objects.filter(status="fixed", fixed_at__isnull=False, sla_due_at__isnull=False).update(
        fixed_within_sla=Case(When(fixed_at__lte=F("sla_due_at"), then=Value(True)), default=Value(False))
    )


class Migration(migrations.Migration):
    dependencies = [("findings", "0007_finding_sla")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
