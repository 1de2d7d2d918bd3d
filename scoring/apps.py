from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Maturity scores"

    def ready(self):
        # Evidence changes (admin edits, imports, checklist answers) recompute scores after commit.
        from scoring import checklist_evidence, receivers

        receivers.connect()
        checklist_evidence.register()  # the checklist evidence rules (checklists/evidence_rules.py)
