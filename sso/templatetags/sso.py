from django import template
from django.conf import settings

from sso import config

register = template.Library()


@register.simple_tag
def sso_login() -> dict | None:
    """What the login page offers: None when single sign-on is off."""
    if not config.enabled():
        return None
    return {"name": config.provider_name(), "only": settings.OIDC_ONLY}
