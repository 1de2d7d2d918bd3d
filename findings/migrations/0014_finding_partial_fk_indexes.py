"""The four nullable foreign keys of findings (assignee, first and last seen audit, resolved by
import) indexed on their non-empty values only.

Many findings have none of them (never assigned, not fixed by an import, or imported without an
audit), yet each full index took an entry per finding: index insertions on every import for
entries no query reads. The partial indexes serve what the full ones served:
"findings of this user / audit / import" and the SET NULL when one of those is deleted both filter
on a value, which implies the condition. Measured on the 50,000-row COPY of an import: about 0.07
CPU seconds of PostgreSQL's 1.5 less.

On PostgreSQL the partial indexes are built concurrently (as in 0012), then the full ones are
dropped. Rows are not touched.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from findings.migrations._concurrent import AddIndexConcurrentlyOnPostgres


def _fk(to: str, related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        blank=True,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.SET_NULL,
        related_name=related_name,
        to=to,
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("findings", "0013_finding_tool_idx"),
        ("projects", "0016_domainscore_covering_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *(
            AddIndexConcurrentlyOnPostgres(
                model_name="finding",
                index=models.Index(
                    fields=[field], name=name, condition=models.Q(**{f"{field}__isnull": False})
                ),
            )
            for field, name in (
                ("assignee", "finding_assignee_idx"),
                ("first_seen_audit", "finding_first_audit_idx"),
                ("last_seen_audit", "finding_last_audit_idx"),
                ("resolved_by_import", "finding_resolved_by_idx"),
            )
        ),
        # The full indexes Django made for the foreign keys, dropped once their partial ones exist.
        migrations.AlterField(
            model_name="finding", name="assignee", field=_fk(settings.AUTH_USER_MODEL, "assigned_findings")
        ),
        migrations.AlterField(
            model_name="finding", name="first_seen_audit", field=_fk("projects.audit", "+")
        ),
        migrations.AlterField(model_name="finding", name="last_seen_audit", field=_fk("projects.audit", "+")),
        migrations.AlterField(
            model_name="finding",
            name="resolved_by_import",
            field=_fk("findings.importrun", "resolved_findings"),
        ),
    ]
