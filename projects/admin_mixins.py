"""Object-level limits for admin classes whose rows belong to a project."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from projects import access


class ProjectScopedAdminMixin:
    """Limits a ModelAdmin to the rows of projects the user may see.

    `project_path` names the lookup from the model to its Project ("project",
    "checklist__project", or "" for Project itself). Rows outside the user's projects are
    missing from lists and answer 403 when opened by URL; foreign keys to projects only offer
    the user's projects.
    """

    project_path = "project"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if access.sees_all_projects(request.user):
            return qs
        return qs.filter(access.project_scope_q(request.user, self.project_path))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not access.sees_all_projects(request.user):
            # Exists but belongs to another project: say "forbidden", not "gone".
            field = from_field or self.model._meta.pk.name
            try:
                exists = self.model._default_manager.filter(**{field: object_id}).exists()
            except (ValueError, TypeError):
                exists = False
            if exists:
                raise PermissionDenied
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model._meta.label == "projects.Project":
            kwargs["queryset"] = access.visible_projects(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
