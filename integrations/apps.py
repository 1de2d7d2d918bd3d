from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Outgoing webhooks, chat digests, README badges and the CI gate (docs/integrations.md)."""

    name = "integrations"

    def ready(self) -> None:
        from integrations import receivers

        receivers.connect()
