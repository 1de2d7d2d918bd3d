"""Drop Audit.scan_details: its content now lives in rescans.RescanRun, reports.ReportSource and
Audit.unmeasured_domains (copied by rescans 0002 and reports 0002, which run before this one and
rebuild it when migrating back)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0010_audit_unmeasured_domains"),
    ]

    operations = [
        migrations.RemoveField(model_name="audit", name="scan_details"),
    ]
