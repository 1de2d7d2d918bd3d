"""More names hand-written reports use for the maturity domains (English and French).

Added to each domain's aliases when missing (no problem words such as "Vulnérabilités": a
heading with those names a list of findings, not a domain); aliases edited in the admin are kept. Reverting
removes only the aliases this migration added.
"""

from django.db import migrations

REPORT_ALIASES = {
    "code-quality": ["Dette technique", "Technical debt", "Clean code", "Lisibilité", "Readability"],
    "security": [
        "Secrets",
        "Gestion des secrets",
        "Secrets management",
        "Authentication",
        "Authentification",
    ],
    "testing": [
        "Tests unitaires",
        "Unit tests",
        "Qualité des tests",
        "Test quality",
        "Couverture de tests",
        "Testabilité",
    ],
    "documentation": ["README", "Documentation utilisateur", "Runbooks"],
    "architecture": ["Modularité", "Modularity", "Architecture logicielle", "Software architecture"],
    "deployment": [
        "Conteneurisation",
        "Containerization",
        "Kubernetes",
        "Packaging",
        "Mise en production",
        "Release",
    ],
    "observability": ["Alerting", "Alertes", "Tracing", "Traçabilité", "Métriques"],
    "performance": ["Latency", "Latence", "Temps de réponse", "Response time", "Performances"],
    "reliability": [
        "Availability",
        "Disponibilité",
        "Backups",
        "Sauvegardes",
        "Reprise après sinistre",
        "Disaster recovery",
    ],
}


def add_aliases(apps, schema_editor):
    MaturityDomain = apps.get_model("projects", "MaturityDomain")
    for domain in MaturityDomain.objects.filter(slug__in=REPORT_ALIASES):
        known = {a.lower() for a in domain.aliases}
        new = [a for a in REPORT_ALIASES[domain.slug] if a.lower() not in known]
        if new:
            domain.aliases = [*domain.aliases, *new]
            domain.save(update_fields=["aliases"])


def remove_aliases(apps, schema_editor):
    MaturityDomain = apps.get_model("projects", "MaturityDomain")
    for domain in MaturityDomain.objects.filter(slug__in=REPORT_ALIASES):
        added = set(REPORT_ALIASES[domain.slug])
        domain.aliases = [a for a in domain.aliases if a not in added]
        domain.save(update_fields=["aliases"])


class Migration(migrations.Migration):
    dependencies = [("projects", "0007_rescan_dispatcher_schedule")]
    operations = [migrations.RunPython(add_aliases, remove_aliases)]
