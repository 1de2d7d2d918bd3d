from django.apps import AppConfig


class TrailConfig(AppConfig):
    """The audit trail: who changed what, when, before → after (django-auditlog underneath)."""

    name = "trail"
    verbose_name = "Audit trail"

    def ready(self):
        from trail import registry

        registry.register_tracked_models()
        # The admin "History" views are pointed at the trail by auditor/urls.py, once the admin
        # modules are discovered.
