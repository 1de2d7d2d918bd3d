from django.apps import AppConfig
from django.core import checks


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = "Single sign-on"

    def ready(self) -> None:
        checks.register(check_role_map, checks.Tags.security)


def check_role_map(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A wrong OIDC_ROLE_MAP is reported by `manage.py check` (and at start), not at a login."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from sso.services import parse_role_map

    try:
        parse_role_map(settings.OIDC_ROLE_MAP)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="sso.E001")]
    return []
