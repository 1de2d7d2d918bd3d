from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Exceptions (risk acceptance, false positives, not applicable) with approval and expiry."""

    name = "governance"

    def ready(self) -> None:
        from checklists import digest
        from findings import hooks
        from governance import selectors, services

        hooks.register_closure_handler(services.finding_closure_request)
        hooks.register_after_import(services.after_import)
        digest.register_section("Exceptions expiring", selectors.expiring_digest_lines)
        digest.register_section("Findings past their SLA", selectors.sla_breach_digest_lines)
        digest.register_section("Comments on findings you watch", selectors.watched_comments_digest_lines)
