"""API tokens in the admin: created with the secret shown once, stored hashed, revocable."""

import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from findings.models import ApiToken
from findings.tests.helpers import fixture

pytestmark = pytest.mark.django_db
ADD = "/admin/findings/apitoken/add/"


def test_a_tech_lead_creates_a_token_for_their_project_and_sees_it_once(client, tech_lead, project):
    client.force_login(tech_lead)
    response = client.post(ADD, {"project": project.pk, "name": "GitLab CI"})
    assert response.status_code == 200
    html = response.content.decode()
    secret = re.search(r'<code id="api-token-secret">([^<]+)</code>', html).group(1)
    token = ApiToken.objects.get()
    assert token.project == project and token.created_by == tech_lead
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert f"/api/projects/{project.slug}/scans/" in html
    # Shown once: the token's own page never contains the secret.
    page = client.get(reverse("admin:findings_apitoken_change", args=[token.pk])).content.decode()
    assert secret not in page and token.prefix in page
    # And the secret works for an upload.
    response = client.post(
        f"/api/projects/{project.slug}/scans/",
        {"file": SimpleUploadedFile("b.json", fixture("bandit_v1.json"))},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201


def test_a_tech_lead_cannot_create_a_token_for_another_project(client, tech_lead, other_project):
    client.force_login(tech_lead)
    response = client.post(ADD, {"project": other_project.pk, "name": "sneaky"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_a_token_stops_it_working(client, admin, project):
    client.force_login(admin)
    html = client.post(ADD, {"project": project.pk, "name": "CI"}).content.decode()
    secret = re.search(r'<code id="api-token-secret">([^<]+)</code>', html).group(1)
    token = ApiToken.objects.get()
    response = client.post(
        reverse("admin:findings_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and not token.is_active
    response = client.post(
        f"/api/projects/{project.slug}/scans/",
        {"file": SimpleUploadedFile("b.json", fixture("bandit_v1.json"))},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 401


def test_the_token_list_does_not_query_per_row(
    client, admin, project, other_project, django_assert_max_num_queries
):
    from findings.services.tokens import api_token_create

    for i in range(6):
        api_token_create(project=project if i % 2 else other_project, name=f"t{i}", created_by=admin)
    client.force_login(admin)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:findings_apitoken_changelist"))
    assert response.content.decode().count("aud_") >= 6
