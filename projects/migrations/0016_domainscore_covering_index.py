from django.db import migrations, models


class Migration(migrations.Migration):
    """The (domain, audit) index of domain scores now carries the score, so the trends page's
    average per period reads it from the index alone. The new one is built before the old one
    goes, so the trends queries always have one."""

    dependencies = [
        ("projects", "0015_upload_job_sweep_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="domainscore",
            index=models.Index(
                fields=["domain", "audit"], include=("score",), name="domainscore_domain_audit_cover"
            ),
        ),
        migrations.RemoveIndex(
            model_name="domainscore",
            name="domainscore_domain_audit_idx",
        ),
    ]
