"""The roles (Django groups) and their permissions, declared once and synced after `migrate`.

Sync rule: a missing group is created and a missing declared permission is granted; nothing is
ever removed. A permission an admin adds to a role stays; a declared one an admin removes comes
back at the next `migrate`, because the access rules (projects/access.py) rely on it.
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

from projects.access import AUDITOR, MANAGER, TECH_LEAD

# (app label, model) every role may read.
VIEW_ALL = [
    ("projects", "project"),
    ("projects", "audit"),
    ("projects", "domainscore"),
    ("projects", "maturitydomain"),
    ("projects", "uploadjob"),
    ("findings", "finding"),
    ("findings", "importrun"),
    ("findings", "apitoken"),
    ("checklists", "checklisttemplate"),
    ("checklists", "checklisttemplateitem"),
    ("checklists", "checklist"),
    ("checklists", "checklistitem"),
    ("checklists", "checklistitemhistory"),
    ("checklists", "checklistreviewevent"),
    ("checklists", "evidencefile"),
    ("checklists", "reminderdelivery"),
    ("governance", "policyexception"),
    ("scoring", "auditanalyzerrun"),
    ("reports", "statedscore"),
]
# Managers and auditors read the whole audit trail; tech leads see it per object only (the
# History button of objects of their projects); nobody adds, changes or deletes entries.
TRAIL = [("view", "auditlog", "logentry")]

# Exceptions: auditors request and decide; managers decide (accepting a business risk is theirs
# to do, the one change they make); tech leads request. Nobody approves their own request.
EXCEPTIONS_DECIDE = [("add", "governance", "policyexception"), ("approve", "governance", "policyexception")]

# Checklist review: a reviewer signs off what someone else submitted (never their own) and
# may reopen a signed-off checklist; tech leads sign off each other's work, not reopen.
CHECKLIST_REVIEW = [("signoff", "checklists", "checklist"), ("reopen", "checklists", "checklist")]

# role -> [(action, app label, model)]
ROLE_PERMISSIONS: dict[str, list[tuple[str, str, str]]] = {
    MANAGER: [("view", app, model) for app, model in VIEW_ALL]
    + [("approve", "governance", "policyexception")]
    + TRAIL,
    AUDITOR: [("view", app, model) for app, model in VIEW_ALL]
    + [
        (action, app, model)
        for action in ("add", "change")
        for app, model in [("projects", "audit"), ("projects", "domainscore"), ("findings", "finding")]
    ]
    # Auditors start audits, so they start their checklists too: from a template, from the
    # previous audit (answers carried, for the tech lead to re-confirm) or by importing a report.
    # Answering the items stays the tech lead's (no change of checklists or items).
    + [("add", "checklists", "checklist")]
    + EXCEPTIONS_DECIDE
    + CHECKLIST_REVIEW
    + TRAIL,
    TECH_LEAD: [
        ("view", "projects", "project"),
        ("view", "projects", "audit"),
        ("view", "projects", "domainscore"),
        ("view", "projects", "maturitydomain"),
        ("view", "projects", "uploadjob"),
        ("view", "reports", "statedscore"),
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
        ("view", "checklists", "checklistreviewevent"),
        ("view", "checklists", "evidencefile"),
        ("signoff", "checklists", "checklist"),
        ("view", "governance", "policyexception"),
        ("add", "governance", "policyexception"),
    ],
}


def sync_roles(*, using: str = DEFAULT_DB_ALIAS, apps: Any = global_apps) -> list[str]:
    """Create the missing roles and grant their missing permissions; returns what was added
    ("role: app.codename"). `apps` is the registry of the migration state after `migrate`."""
    from django.contrib.auth.management import create_permissions

    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:  # auth migrated to zero
        return []
    # Django creates each app's permissions after that app's own post_migrate; the roles need
    # those of every app, so create them now (it skips those that exist).
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    wanted = {
        (app, f"{action}_{model}") for perms in ROLE_PERMISSIONS.values() for action, app, model in perms
    }
    found = {
        (app, codename): pk
        for pk, app, codename in Permission.objects.using(using)
        .filter(codename__in={codename for _app, codename in wanted})
        .values_list("pk", "content_type__app_label", "codename")
        if (app, codename) in wanted
    }
    added = []
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        have = set(group.permissions.values_list("pk", flat=True))
        for action, app, model in perms:
            pk = found.get((app, f"{action}_{model}"))
            if pk is not None and pk not in have:
                group.permissions.add(pk)
                added.append(f"{role}: {app}.{action}_{model}")
    return added


def sync_roles_after_migrate(
    sender: AppConfig, using: str = DEFAULT_DB_ALIAS, apps: Any = global_apps, **kwargs: Any
) -> None:
    sync_roles(using=using, apps=apps)
