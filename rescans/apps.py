from django.apps import AppConfig


class RescansConfig(AppConfig):
    name = "rescans"
    verbose_name = "Re-scans"
