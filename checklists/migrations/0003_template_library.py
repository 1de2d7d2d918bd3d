"""Load the shipped checklist templates (checklists/library.py)."""

from django.db import migrations


def load_library(apps, schema_editor):
    from checklists.library import install_library

    install_library(
        template_model=apps.get_model("checklists", "ChecklistTemplate"),
        item_model=apps.get_model("checklists", "ChecklistTemplateItem"),
        domain_model=apps.get_model("projects", "MaturityDomain"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0002_template_library_version_reminder_claims"),
        ("projects", "0002_default_domains"),
    ]
    operations = [migrations.RunPython(load_library, migrations.RunPython.noop)]
