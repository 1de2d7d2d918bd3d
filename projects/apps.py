from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects and audits"

    def ready(self):
        # Admin edits of scores, audits and findings recompute the scores after commit.
        from projects import scoring

        scoring.connect_signals()
