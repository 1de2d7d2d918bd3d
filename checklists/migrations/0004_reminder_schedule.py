"""The daily reminder digest beat entry: now declared in ops/schedules.py and created after
`migrate`.

This migration used to create it; it is kept, doing nothing, so the migration graph and
databases that applied it stay valid. Existing rows are left as they are.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0003_template_library"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
