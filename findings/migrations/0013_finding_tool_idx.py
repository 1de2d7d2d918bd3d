"""An index on the findings' tool, for the findings admin's tool filter: the tools in use are
read by skipping through it (findings.selectors.tools_in_use) instead of a DISTINCT over the
whole table. Built concurrently on PostgreSQL, as 0012's indexes (same operation)."""

from django.db import migrations, models

from findings.migrations._concurrent import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("findings", "0012_finding_status_page_indexes"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="finding",
            index=models.Index(fields=["tool"], name="finding_tool_idx"),
        ),
    ]
