from decimal import Decimal

from django.db import migrations

# name, slug, weight, aliases (other names reports use, English and French), description
DEFAULT_DOMAINS = [
    (
        "Code quality",
        "code-quality",
        "1.00",
        [
            "Code Quality",
            "Quality",
            "Qualité",
            "Qualité du code",
            "Qualité de code",
            "Maintainability",
            "Maintenabilité",
            "Lint",
        ],
        "Readability, consistency and maintainability of the code base; linters and complexity.",
    ),
    (
        "Security",
        "security",
        "1.50",
        ["Sécurité", "Securite", "Secu", "AppSec", "Security posture"],
        "Vulnerabilities, secrets handling, authentication, dependency and container hygiene.",
    ),
    (
        "Testing",
        "testing",
        "1.25",
        ["Testability", "Tests", "Test", "Testabilité", "Test coverage", "Couverture", "QA"],
        "Automated tests, coverage, and how well CI gates changes.",
    ),
    (
        "Documentation",
        "documentation",
        "0.75",
        ["Docs", "Doc", "Documentation technique"],
        "README, architecture notes, runbooks, API and environment documentation.",
    ),
    (
        "Architecture",
        "architecture",
        "1.00",
        ["Design", "Conception", "Structure"],
        "Separation of concerns, dependencies between parts, fitness for growth.",
    ),
    (
        "Deployment",
        "deployment",
        "1.00",
        [
            "Dockerisation",
            "Dockerization",
            "Docker",
            "Déploiement",
            "DevOps",
            "CI/CD",
            "Infrastructure",
            "Production readiness",
        ],
        "Containers, configuration, secrets, CI/CD pipeline and reproducible releases.",
    ),
    (
        "Observability",
        "observability",
        "0.75",
        ["Monitoring", "Logging", "Observabilité", "Supervision", "Logs"],
        "Logs, metrics, traces, health checks and alerting.",
    ),
    (
        "Performance",
        "performance",
        "0.75",
        ["Scalability", "Scalabilité", "Perf", "Load"],
        "Latency, throughput and behaviour under load.",
    ),
    (
        "Reliability",
        "reliability",
        "1.00",
        [
            "Resilience",
            "Résilience",
            "Fiabilité",
            "Robustness",
            "Robustesse",
            "Error handling",
            "Gestion des erreurs",
        ],
        "Error handling, retries, backups, recovery and availability.",
    ),
]


def create_domains(apps, schema_editor):
    MaturityDomain = apps.get_model("projects", "MaturityDomain")
    for order, (name, slug, weight, aliases, description) in enumerate(DEFAULT_DOMAINS, start=1):
        MaturityDomain.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "weight": Decimal(weight),
                "aliases": aliases,
                "description": description,
                "display_order": order * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [migrations.RunPython(create_domains, migrations.RunPython.noop)]
