"""Roles as groups. See projects/access.py and docs/permissions.md for what each may do."""

from django.db import migrations

VIEW_ALL = [
    ("projects", "project"),
    ("projects", "audit"),
    ("projects", "domainscore"),
    ("projects", "maturitydomain"),
    ("findings", "finding"),
    ("findings", "importrun"),
    ("findings", "apitoken"),
    ("checklists", "checklisttemplate"),
    ("checklists", "checklisttemplateitem"),
    ("checklists", "checklist"),
    ("checklists", "checklistitem"),
    ("checklists", "checklistitemhistory"),
    ("checklists", "reminderdelivery"),
]

ROLE_PERMISSIONS = {
    "Manager": [("view", app, model) for app, model in VIEW_ALL],
    "Auditor": [("view", app, model) for app, model in VIEW_ALL]
    + [
        (action, app, model)
        for action in ("add", "change")
        for app, model in [("projects", "audit"), ("projects", "domainscore"), ("findings", "finding")]
    ],
    "Tech lead": [
        ("view", "projects", "project"),
        ("view", "projects", "audit"),
        ("view", "projects", "domainscore"),
        ("view", "projects", "maturitydomain"),
        ("view", "findings", "finding"),
        ("change", "findings", "finding"),
        ("view", "findings", "importrun"),
        ("view", "findings", "apitoken"),
        ("add", "findings", "apitoken"),
        ("change", "findings", "apitoken"),
        ("view", "checklists", "checklisttemplate"),
        ("view", "checklists", "checklisttemplateitem"),
        ("view", "checklists", "checklist"),
        ("add", "checklists", "checklist"),
        ("change", "checklists", "checklist"),
        ("view", "checklists", "checklistitem"),
        ("change", "checklists", "checklistitem"),
        ("view", "checklists", "checklistitemhistory"),
    ],
}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for action, app_label, model in perms:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
            )


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0002_default_domains"),
        ("findings", "0001_initial"),
        ("checklists", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
