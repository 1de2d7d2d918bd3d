"""Managers and auditors read the whole audit trail; tech leads see it per object only (the
History button of objects of their projects); nobody can add, change or delete entries."""

from django.db import migrations

ROLES = ("Manager", "Auditor")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    auditlog_config = apps.get_app_config("auditlog")
    auditlog_config.models_module = True
    create_permissions(auditlog_config, verbosity=0)
    auditlog_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.get(content_type__app_label="auditlog", codename="view_logentry")
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(view)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="auditlog", codename="view_logentry")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0017_add_actor_email"),
        ("projects", "0003_roles"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
