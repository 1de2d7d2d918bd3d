"""Roles as groups: now declared in projects/roles.py and synced after `migrate`.

This migration used to create them; it is kept, doing nothing, so the migration graph and
databases that applied it stay valid.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0002_default_domains"),
        ("findings", "0001_initial"),
        ("checklists", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
