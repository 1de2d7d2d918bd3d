"""Which models the audit trail records, and which fields of them.

Registered in code (not in each app's models) so the apps stay unaware of the trail. Fields
that change on their own on every import or scan (timestamps, counters) are left out: the
trail records decisions people and processes made, not bookkeeping.

The admin's "History" button of every tracked model shows that object's trail (before →
after, who, when) instead of Django's own admin log, which only knows changes made through
the admin and not their values.
"""

from __future__ import annotations

import types

from auditlog.mixins import AuditlogHistoryAdminMixin
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib import admin

# model label -> include_fields (None: every field except the excluded ones below)
TRACKED: dict[str, list[str] | None] = {
    "projects.Audit": None,
    "projects.DomainScore": None,
    # Project: its schedule and what a re-scan uses; not the dispatcher's next_scan_at.
    "projects.Project": [
        "name",
        "slug",
        "tech_lead",
        "repository_url",
        "branch",
        "is_active",
        "scan_schedule",
        "enabled_scanners",
    ],
    "findings.Finding": ["status", "severity", "assignee", "domain", "title", "recommendation", "effort"],
    "findings.ApiToken": ["project", "name", "prefix", "revoked_at", "created_by"],
    # Personal API tokens: who holds one, until when, its revocation; never its hash, and not
    # its last use (bookkeeping, stamped by every request).
    "api.PersonalToken": ["user", "name", "prefix", "expires_at", "revoked_at"],
    "checklists.ChecklistItem": ["state", "note", "checked_by", "text", "is_critical", "domain"],
    "checklists.Checklist": ["title", "owner", "due_date", "audit"],
    "governance.PolicyException": None,
}
EXCLUDED_FIELDS = ["created_at", "updated_at"]
M2M_FIELDS = {"projects.Project": {"members"}}


def register_tracked_models() -> None:
    for label, include in TRACKED.items():
        model = apps.get_model(label)
        if auditlog.contains(model):
            continue
        # Reverse relations (another app's one-to-one row of an audit, say) are not the
        # model's own values, and reading them would cost a query per saved row.
        reverse = [f.name for f in model._meta.get_fields() if f.auto_created and not f.concrete]
        auditlog.register(
            model,
            include_fields=include or None,
            exclude_fields=[*EXCLUDED_FIELDS, *reverse],
            m2m_fields=M2M_FIELDS.get(label, set()),
        )


def use_trail_as_admin_history(site: admin.AdminSite = admin.site) -> None:
    """Point the "History" view of each tracked model's admin at its audit trail.

    The view reuses the ModelAdmin's own get_object and view permission, so the project scoping
    of the admin applies: a tech lead opening another project's object's history gets a 403.
    """
    for label in TRACKED:
        model_admin = site._registry.get(apps.get_model(label))
        if model_admin is None or getattr(model_admin, "_trail_history", False):
            continue
        model_admin.auditlog_history_template = AuditlogHistoryAdminMixin.auditlog_history_template
        model_admin.auditlog_history_per_page = 50
        model_admin.history_view = types.MethodType(
            AuditlogHistoryAdminMixin.auditlog_history_view, model_admin
        )
        model_admin._trail_history = True
