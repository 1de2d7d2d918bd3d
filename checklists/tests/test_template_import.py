"""Templates and items through CSV/XLSX (django-import-export): preview first, and a file with
an invalid row imports nothing, saying which row and why."""

import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from checklists.models import ChecklistTemplate, ChecklistTemplateItem
from checklists.resources import ChecklistTemplateItemResource, ChecklistTemplateResource

ITEMS_IMPORT = "admin:checklists_checklisttemplateitem_import"
HEADER = "id,template,order,section,text,guidance,is_critical,domain\n"


def snapshot():
    return (
        list(ChecklistTemplate.objects.order_by("pk").values_list("pk", "name", "version")),
        list(ChecklistTemplateItem.objects.order_by("pk").values_list()),
    )


def csv_choice(form):
    return next(value for value, label in form.fields["format"].choices if label.lower() == "csv")


def upload(client, url, text, name="items.csv"):
    form = client.get(reverse(url)).context["form"]
    return client.post(
        reverse(url),
        {
            "import_file": SimpleUploadedFile(name, text.encode(), content_type="text/csv"),
            "format": csv_choice(form),
            "resource": "0",
        },
    )


def test_a_file_with_a_bad_row_imports_nothing_and_names_the_row_and_reason(client, admin):
    before = snapshot()
    client.force_login(admin)
    text = HEADER + (
        ",deployment,500,Extra,Rotate the JWT secret,Check the rotation log,1,security\n"
        ",deployment,510,Extra,Check CORS,See headers,0,no-such-domain\n"
        ",deployment,520,Extra,,Empty text,0,security\n"
    )

    response = upload(client, ITEMS_IMPORT, text)

    assert response.status_code == 200
    result = response.context["result"]
    assert result.has_validation_errors()
    invalid = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(invalid) == {2, 3}
    assert "No maturity domain with slug 'no-such-domain'" in str(invalid[2])
    assert "text" in invalid[3]
    html = " ".join(response.content.decode().split())
    assert "Some rows failed to validate" in html
    assert "<td>2 </td>" in html and "<td>3 </td>" in html and "<td>1 </td>" not in html
    assert "No maturity domain with slug &#x27;no-such-domain&#x27;." in html
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert snapshot() == before


def test_the_resource_itself_rolls_back_a_file_with_one_invalid_row(db):
    before = snapshot()
    dataset = tablib.Dataset(headers=HEADER.strip().split(","))
    dataset.append(["", "deployment", 500, "Extra", "Valid row", "", "1", "security"])
    dataset.append(["", "no-such-template", 510, "Extra", "Bad row", "", "maybe", "security"])

    result = ChecklistTemplateItemResource().import_data(dataset, dry_run=False)

    assert result.has_validation_errors()
    assert snapshot() == before


def test_a_valid_file_is_previewed_then_imported_on_confirmation(client, admin, deployment_template):
    client.force_login(admin)
    text = HEADER + ",deployment,500,Extra,Rotate the JWT secret,Check the rotation log,yes,security\n"
    preview = upload(client, ITEMS_IMPORT, text)

    assert preview.status_code == 200
    assert not preview.context["result"].has_errors()
    assert not ChecklistTemplateItem.objects.filter(text="Rotate the JWT secret").exists()
    confirm = preview.context["confirm_form"]

    response = client.post(reverse("admin:checklists_checklisttemplateitem_process_import"), confirm.initial)

    assert response.status_code == 302
    item = ChecklistTemplateItem.objects.get(text="Rotate the JWT secret")
    assert (item.template, item.is_critical, item.domain.slug) == (deployment_template, True, "security")
    deployment_template.refresh_from_db()
    assert deployment_template.version == 2


def test_items_export_and_reimport_round_trip_without_changes(db):
    before = snapshot()
    exported = ChecklistTemplateItemResource().export()
    assert exported.headers == HEADER.strip().split(",")
    assert "deployment" in exported.csv and "security" in exported.csv

    result = ChecklistTemplateItemResource().import_data(exported, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert snapshot() == before, "unchanged rows are skipped and no version is raised"


def test_templates_import_by_slug_and_an_edit_raises_the_version(db):
    dataset = tablib.Dataset(headers=["slug", "name", "description", "is_active", "version"])
    dataset.append(["deployment", "Deployment", "Edited description", "1", "99"])
    dataset.append(["api-review", "API review", "New one", "1", ""])

    result = ChecklistTemplateResource().import_data(dataset, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    deployment = ChecklistTemplate.objects.get(slug="deployment")
    assert (deployment.description, deployment.version) == ("Edited description", 2)
    assert ChecklistTemplate.objects.get(slug="api-review").version == 1


def test_editing_a_template_in_the_admin_raises_its_version(client, admin, deployment_template):
    from auditor.testing import admin_form_data

    client.force_login(admin)
    url = reverse("admin:checklists_checklisttemplate_change", args=[deployment_template.pk])
    data = admin_form_data(client.get(url))
    data["description"] = "Now with more checks"
    assert client.post(url, data).status_code == 302
    deployment_template.refresh_from_db()
    assert deployment_template.version == 2
    # Saving again without a change keeps the version.
    assert client.post(url, admin_form_data(client.get(url))).status_code == 302
    deployment_template.refresh_from_db()
    assert deployment_template.version == 2


def test_an_xlsx_file_with_a_new_item_is_imported(db, deployment_template):
    dataset = tablib.Dataset(headers=HEADER.strip().split(","))
    dataset.append(["", "deployment", 600, "Extra", "From a spreadsheet", "", 1, "deployment"])
    xlsx = tablib.Dataset().load(dataset.export("xlsx"), format="xlsx")

    result = ChecklistTemplateItemResource().import_data(xlsx, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert deployment_template.items.get(text="From a spreadsheet").is_critical is True


def test_only_people_who_may_change_templates_may_import_them(client, tech_lead, manager):
    before = snapshot()
    for user in (tech_lead, manager):
        client.force_login(user)
        assert client.get(reverse(ITEMS_IMPORT)).status_code == 403
        response = client.post(
            reverse(ITEMS_IMPORT),
            {
                "import_file": SimpleUploadedFile("x.csv", (HEADER + ",deployment,1,S,T,,0,\n").encode()),
                "format": "0",
                "resource": "0",
            },
        )
        assert response.status_code == 403
        assert client.get(reverse("admin:checklists_checklisttemplate_import")).status_code == 403
    assert snapshot() == before
