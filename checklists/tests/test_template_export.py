"""Exporting template items from the admin: a CSV with template and domain slugs, in a number of
queries that does not grow with the items."""

from django.urls import reverse

from checklists.models import ChecklistTemplate, ChecklistTemplateItem

EXPORT = "admin:checklists_checklisttemplateitem_export"


def export_csv(client):
    form = client.get(reverse(EXPORT)).context["form"]
    data = {name: "on" for name, field in form.fields.items() if field.__class__.__name__ == "BooleanField"}
    data["format"] = next(v for v, label in form.fields["format"].choices if label.lower() == "csv")
    data["resource"] = "0"
    return client.post(reverse(EXPORT), data)


def test_the_admin_exports_items_as_csv_with_slugs(client, admin):
    client.force_login(admin)
    response = export_csv(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert text.splitlines()[0] == "id,template,order,section,text,guidance,is_critical,domain"
    assert ",deployment,10,Configuration and secrets," in text
    assert text.count("\n") == ChecklistTemplateItem.objects.count() + 1


def test_the_export_reads_a_constant_number_of_queries(client, admin, django_assert_max_num_queries):
    client.force_login(admin)
    export_csv(client)  # warm-up
    with django_assert_max_num_queries(30) as before:
        export_csv(client)
    template = ChecklistTemplate.objects.get(slug="deployment")
    ChecklistTemplateItem.objects.bulk_create(
        ChecklistTemplateItem(template=template, order=900 + i, text=f"Extra {i}") for i in range(50)
    )
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert "Extra 49" in export_csv(client).content.decode()
