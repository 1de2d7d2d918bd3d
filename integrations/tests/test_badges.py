"""README badges: public with the project's key, 404 without it, escaped, cached briefly."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.test import Client

from integrations.badges import badge_key_rotate, svg
from scoring.models import ProjectSummary

pytestmark = pytest.mark.django_db


@pytest.fixture
def summary(project):
    return ProjectSummary.objects.update_or_create(
        project=project, defaults={"global_score": Decimal("7.4"), "computed_verdict": "with_reservations"}
    )[0]


def test_the_badge_answers_anonymously_with_the_right_key_only(project, other_project, summary):
    key = badge_key_rotate(project=project)
    other_key = badge_key_rotate(project=other_project)
    anonymous = Client()

    response = anonymous.get(f"/badges/{project.slug}/{key}/score.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    assert "sandbox" in response["Content-Security-Policy"]
    root = ET.fromstring(response.content)  # noqa: S314  # our own SVG, checked well-formed
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["maturity", "7.4 · Good"]
    gate = anonymous.get(f"/badges/{project.slug}/{key}/gate.svg").content.decode()
    assert "Ready with reservations" in gate

    for url in (
        f"/badges/{project.slug}/{key[:-1]}x/score.svg",  # wrong key
        f"/badges/{project.slug}/{other_key}/score.svg",  # another project's key
        f"/badges/{other_project.slug}/{key}/score.svg",
        f"/badges/no-such-project/{key}/score.svg",
        f"/badges/{project.slug}/{key}/other.svg",
    ):
        assert anonymous.get(url).status_code == 404, url


def test_a_project_without_a_key_has_no_badge_and_rotation_retires_the_old_url(project, summary):
    assert Client().get(f"/badges/{project.slug}/anything/score.svg").status_code == 404
    old = badge_key_rotate(project=project)
    new = badge_key_rotate(project=project)
    assert old != new and len(new) >= 32
    assert Client().get(f"/badges/{project.slug}/{old}/score.svg").status_code == 404
    assert Client().get(f"/badges/{project.slug}/{new}/score.svg").status_code == 200


def test_badge_text_is_escaped():
    image = svg('<script>alert("x")</script>', "a & b", '"/><script>')
    root = ET.fromstring(image)  # noqa: S314  # our own SVG
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    assert "<script>" not in image


def test_the_badge_page_shows_the_urls_to_those_who_see_the_project(
    client, project, tech_lead, other_tech_lead, manager
):
    client.force_login(tech_lead)
    assert client.post(f"/projects/{project.slug}/badges/rotate/").status_code == 302
    page = client.get(f"/projects/{project.slug}/badges/").content.decode()
    key = project.badge_key.key
    assert (
        f"/badges/{project.slug}/{key}/score.svg" in page and f"/badges/{project.slug}/{key}/gate.svg" in page
    )

    client.force_login(other_tech_lead)
    assert client.get(f"/projects/{project.slug}/badges/").status_code == 403
    assert client.post(f"/projects/{project.slug}/badges/rotate/").status_code == 403
    client.force_login(manager)
    assert client.get(f"/projects/{project.slug}/badges/").status_code == 200
    assert client.post(f"/projects/{project.slug}/badges/rotate/").status_code == 403
    project.badge_key.refresh_from_db()
    assert project.badge_key.key == key
