from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Maturity scores"

    def ready(self):
        # Evidence changes (admin edits, imports, checklist answers) recompute scores after commit.
        from scoring import receivers

        receivers.connect()
