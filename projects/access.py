"""Who may see and change what. Roles are Django groups declared in projects/roles.py.

- Admin (superuser): everything.
- Manager: reads everything, changes nothing.
- Auditor: reads everything; creates and changes audits, domain scores and findings.
- Tech lead: sees only the projects they lead or are a member of (other projects do not exist
  for them: lists hide them, and opening one by URL answers 403); on those projects they change
  checklists and the status of findings.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from projects.models import Project

TECH_LEAD = "Tech lead"
MANAGER = "Manager"
AUDITOR = "Auditor"
ROLES = (TECH_LEAD, MANAGER, AUDITOR)


def _group_names(user: AbstractBaseUser) -> set[str]:
    # Cached on the user object: admin pages ask this many times per request.
    if not hasattr(user, "_auditor_groups"):
        user._auditor_groups = set(user.groups.values_list("name", flat=True))
    return user._auditor_groups


def has_role(user, role: str) -> bool:
    return user.is_authenticated and role in _group_names(user)


def sees_all_projects(user) -> bool:
    """Admins, managers and auditors see the whole portfolio; tech leads only their projects."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(_group_names(user) & {MANAGER, AUDITOR})


def project_scope_q(user, prefix: str = "") -> Q:
    """A filter keeping rows whose project (reached through `prefix`) the user may see."""
    if sees_all_projects(user):
        return Q()
    if not user.is_authenticated:
        return Q(pk__in=[])

    visible = Project.objects.filter(Q(tech_lead=user) | Q(members=user)).values("pk")
    field = f"{prefix}__in" if prefix else "pk__in"
    return Q(**{field: visible})


def visible_projects(user) -> QuerySet:
    return Project.objects.filter(project_scope_q(user))


def can_see_project(user, project) -> bool:
    if sees_all_projects(user):
        return True
    return visible_projects(user).filter(pk=project.pk).exists()


def can_rescan(user, project) -> bool:
    """Admins and auditors; tech leads and members of the project. Managers only read."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or has_role(user, AUDITOR):
        return True
    return project.tech_lead_id == user.pk or project.members.filter(pk=user.pk).exists()
