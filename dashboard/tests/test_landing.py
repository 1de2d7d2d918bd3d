"""After login each role lands where its work is; a `next` always wins (a deep link)."""

import pytest
from django.test import Client

from conftest import PASSWORD


def log_in(username: str, next_url: str | None = None):
    client = Client()
    url = "/admin/login/" + (f"?next={next_url}" if next_url else "")
    page = client.get(url)
    assert page.status_code == 200
    form_next = page.context["next"]
    response = client.post(url, {"username": username, "password": PASSWORD, "next": form_next}, follow=True)
    assert response.redirect_chain, response.content[:500]
    return [target for target, _status in response.redirect_chain], response


@pytest.mark.django_db
def test_a_manager_lands_on_the_portfolio(manager):
    chain, response = log_in("manager")
    assert chain[-1] == "/maturity/"
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_tech_lead_lands_on_their_queue(tech_lead):
    chain, response = log_in("lead")
    assert chain[-1] == "/my/items/"
    assert response.status_code == 200
    assert b"My open items" in response.content


@pytest.mark.django_db
def test_an_auditor_lands_on_the_portfolio(auditor_user):
    chain, _response = log_in("auditor")
    assert chain[-1] == "/maturity/"


@pytest.mark.django_db
def test_an_admin_lands_on_the_admin_index(admin):
    chain, response = log_in("root")
    assert chain[-1] == "/admin/"
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["root", "manager", "lead"])
def test_every_role_goes_back_where_it_was(admin, manager, tech_lead, username):
    chain, response = log_in(username, "/maturity/trends/")
    assert chain[-1] == "/maturity/trends/"
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_next_to_another_site_is_ignored(manager):
    chain, _response = log_in("manager", "https://evil.example.com/")
    assert chain[-1] == "/maturity/"


@pytest.mark.django_db
def test_the_landing_sends_anonymous_visitors_to_the_login_page():
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_the_landing_follows_a_safe_next_only(manager):
    client = Client()
    client.force_login(manager)
    assert client.get("/?next=/maturity/trends/")["Location"] == "/maturity/trends/"
    assert client.get("/?next=//evil.example.com/")["Location"] == "/maturity/"


@pytest.mark.django_db
def test_a_lead_who_is_also_an_admin_lands_on_the_admin(tech_lead):
    tech_lead.is_superuser = True
    tech_lead.save()
    chain, _response = log_in("lead")
    assert chain[-1] == "/admin/"
