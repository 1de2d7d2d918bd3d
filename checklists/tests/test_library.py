from django.core.management import call_command

from checklists.library import TEMPLATES, install_library, template_items
from checklists.models import ChecklistTemplate, ChecklistTemplateItem
from checklists.services import checklist_start
from projects.models import MaturityDomain


def test_the_migration_loads_the_four_shipped_templates_with_sections_and_critical_items(db):
    slugs = set(ChecklistTemplate.objects.values_list("slug", flat=True))
    assert {"production-readiness", "security-review", "deployment", "test-ci-quality"} <= slugs
    for entry in TEMPLATES:
        template = ChecklistTemplate.objects.get(slug=entry["slug"])
        items = list(template.items.all())
        assert len(items) == len(template_items(entry)) >= 10
        assert {i.section for i in items} == {section for section, _ in entry["sections"]}
        assert any(i.is_critical for i in items)
        assert all(i.domain_id is not None for i in items), "every item feeds a maturity domain"
        assert all(i.guidance for i in items)


def test_production_readiness_covers_the_five_required_sections(db):
    template = ChecklistTemplate.objects.get(slug="production-readiness")
    sections = set(template.items.values_list("section", flat=True))
    assert sections == {"Core features", "Security", "Performance", "Observability", "Tests"}


def test_reloading_the_library_changes_nothing_when_no_entry_version_was_raised(db, capsys):
    before = list(ChecklistTemplateItem.objects.order_by("id").values_list("id", "text"))
    call_command("load_checklist_templates")
    assert "deployment: unchanged" in capsys.readouterr().out
    assert list(ChecklistTemplateItem.objects.order_by("id").values_list("id", "text")) == before


def test_a_raised_library_version_refreshes_the_template_but_not_started_checklists(db, project):
    template = ChecklistTemplate.objects.get(slug="deployment")
    started = checklist_start(project=project, template=template)
    copied = list(started.items.values_list("text", flat=True))
    entry = dict(next(e for e in TEMPLATES if e["slug"] == "deployment"))
    entry["version"] += 1
    entry["sections"] = [("Only section", [("A new check", "How to verify", True, "security")])]

    outcome = install_library(
        template_model=ChecklistTemplate,
        item_model=ChecklistTemplateItem,
        domain_model=MaturityDomain,
        entries=[entry],
    )

    assert outcome == {"deployment": "updated"}
    template.refresh_from_db()
    assert template.version == 2
    assert list(template.items.values_list("text", flat=True)) == ["A new check"]
    assert list(started.items.values_list("text", flat=True)) == copied
    started.refresh_from_db()
    assert started.template_version == 1


def test_a_new_library_entry_is_created_by_the_command_code(db):
    entry = {
        "slug": "api-review",
        "name": "API review",
        "version": 1,
        "description": "d",
        "sections": [("Contract", [("OpenAPI spec published", "Link it", False, "documentation")])],
    }
    outcome = install_library(
        template_model=ChecklistTemplate,
        item_model=ChecklistTemplateItem,
        domain_model=MaturityDomain,
        entries=[entry],
    )
    assert outcome == {"api-review": "created"}
    item = ChecklistTemplate.objects.get(slug="api-review").items.get()
    assert item.domain.slug == "documentation"
