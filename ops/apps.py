from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from ops.schedules import sync_after_migrate

        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="ops-sync-periodic-tasks")
