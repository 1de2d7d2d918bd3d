"""The project page's "Start the next audit from the previous one" button: who sees it."""

from django import template

from checklists.reaudit_views import may_start_reaudit
from projects.models import Audit

register = template.Library()


@register.simple_tag
def offers_reaudit(user, project) -> bool:
    """The user may start checklists on the project, and it has an audit with checklists."""
    if not may_start_reaudit(user, project):
        return False
    return Audit.objects.filter(project=project, checklists__isnull=False).exists()
