from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Exceptions (risk acceptance, false positives, not applicable) with approval and expiry."""

    name = "governance"

    def ready(self) -> None:
        from findings import hooks
        from governance import services

        hooks.register_closure_handler(services.finding_closure_request)
        hooks.register_after_import(services.rule_exceptions_apply)
