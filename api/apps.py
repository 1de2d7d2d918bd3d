from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"
    default_auto_field = "django.db.models.BigAutoField"
    # The drf-spectacular extension of api/schema.py is imported by api/urls.py, not here: the
    # schema is only generated where the URLconf is loaded (0.25 CPU-s less per command start).
