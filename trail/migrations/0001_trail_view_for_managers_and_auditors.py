"""Managers and auditors read the whole audit trail: the permission is now declared with the
other role permissions (projects/roles.py) and granted after `migrate`.

This migration used to grant it; it is kept, doing nothing, so the migration graph and databases
that applied it stay valid.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0017_add_actor_email"),
        ("projects", "0003_roles"),
    ]
    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
