"""The project page links to the project's README badge page, which the reader may open."""

import pytest


@pytest.mark.django_db
def test_the_project_page_links_to_its_badge_page(client, tech_lead, project):
    client.force_login(tech_lead)
    html = client.get(project.get_absolute_url()).content.decode()
    href = f'href="/projects/{project.slug}/badges/"'
    assert 'id="readme-badge"' in html and href in html
    assert client.get(f"/projects/{project.slug}/badges/").status_code == 200
