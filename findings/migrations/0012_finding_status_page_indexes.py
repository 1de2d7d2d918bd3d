"""Three findings indexes for the filtered lists at 10 million findings.

- finding_status_severity_idx (status, severity desc, id desc): the findings admin filtered by
  status and severity, in its ordering; its capped count reads the index only.
- finding_status_sev_sla_idx (status, severity, sla_due_at): the API's findings of a status and
  severity by SLA due date.
- finding_project_sla_idx (project, status, sla_due_at): the portfolio's count of open findings
  past their due date for each project of a page (up to 1,000), from the index alone.

On PostgreSQL they are built with CREATE INDEX CONCURRENTLY: the findings table stays writable
while each index is built (minutes at 10 million rows), instead of blocking every import and
triage for that time. Hence `atomic = False`. If a concurrent build fails, PostgreSQL keeps an
INVALID index of that name: drop it (DROP INDEX CONCURRENTLY) and run the migration again.
Other databases get a plain CREATE INDEX.
"""

from django.db import migrations, models

from findings.migrations._concurrent import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("findings", "0011_finding_sla_paused"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="finding",
            index=models.Index(fields=["status", "-severity", "-id"], name="finding_status_severity_idx"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="finding",
            index=models.Index(
                fields=["status", "severity", "sla_due_at"], name="finding_status_sev_sla_idx"
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="finding",
            index=models.Index(fields=["project", "status", "sla_due_at"], name="finding_project_sla_idx"),
        ),
    ]
