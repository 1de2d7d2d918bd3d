"""Personal API tokens: hashed, shown once, expiring, revocable; created in the admin and by a
management command."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from api.models import PersonalToken
from api.services import token_authenticate, token_create, token_revoke


def test_only_the_hash_of_the_secret_is_stored(tech_lead):
    token, raw = token_create(user=tech_lead, name="export")

    stored = PersonalToken.objects.get(pk=token.pk)
    assert raw.startswith("audp_") and len(raw) > 40
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert stored.prefix == raw[:12]
    assert raw not in {getattr(stored, f.attname) for f in PersonalToken._meta.concrete_fields}


def test_a_token_authenticates_its_user_and_stamps_its_last_use(tech_lead):
    token, raw = token_create(user=tech_lead, name="export")

    found = token_authenticate(raw=raw)

    assert found is not None and found.user == tech_lead
    assert PersonalToken.objects.get(pk=token.pk).last_used_at is not None


def test_expired_revoked_and_inactive_tokens_do_not_authenticate(tech_lead, manager):
    expired, raw_expired = token_create(user=tech_lead, name="old")
    past = timezone.now() - dt.timedelta(days=2)
    PersonalToken.objects.filter(pk=expired.pk).update(
        created_at=past, expires_at=past + dt.timedelta(days=1)
    )
    revoked, raw_revoked = token_create(user=tech_lead, name="gone")
    token_revoke(token=revoked)
    _inactive, raw_inactive = token_create(user=manager, name="left")
    manager.is_active = False
    manager.save()

    assert token_authenticate(raw=raw_expired) is None
    assert token_authenticate(raw=raw_revoked) is None
    assert token_authenticate(raw=raw_inactive) is None
    assert token_authenticate(raw=raw_revoked + "x") is None


def test_a_token_lifetime_is_bounded(tech_lead, settings):
    settings.API_TOKEN_MAX_DAYS = 30

    with pytest.raises(ValidationError) as error:
        token_create(user=tech_lead, name="forever", days=31)

    assert "days" in error.value.message_dict
    assert not PersonalToken.objects.exists()


def test_the_command_prints_the_secret_once_and_stores_its_hash(tech_lead):
    out, err = io.StringIO(), io.StringIO()

    call_command("api_token_create", "lead", "--name", "nightly", "--days", "7", stdout=out, stderr=err)

    raw = out.getvalue().strip()
    token = PersonalToken.objects.get(user=tech_lead)
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix in err.getvalue() and raw not in err.getvalue()
    assert 6 <= (token.expires_at - timezone.now()).days <= 7


def test_the_command_names_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("api_token_create", "ghost", "--name", "x", stdout=io.StringIO())


def test_the_admin_shows_the_secret_once_and_a_lead_creates_only_their_own(tech_lead, manager):
    client = Client()
    client.force_login(tech_lead)

    response = client.post(
        "/admin/api/personaltoken/add/", {"name": "laptop", "days": "30", "user": manager.pk}
    )

    token = PersonalToken.objects.get()
    assert token.user == tech_lead  # the user field is not offered to non-admins
    # Shown in the answer to the creation itself: no redirect, no message waiting in a cookie
    # or the session, and not kept by a cache.
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = re.search(r'<code id="token-secret">([^<]+)</code>', response.content.decode())[1]
    assert token_authenticate(raw=raw) == token
    assert not list(response.context["messages"]) and "messages" not in response.cookies
    assert raw not in str(client.session.items())
    page = client.get(f"/admin/api/personaltoken/{token.pk}/change/")
    assert raw not in page.content.decode()


def test_the_admin_lists_only_ones_own_tokens_except_for_admins(
    tech_lead, manager, admin, django_assert_max_num_queries
):
    token_create(user=tech_lead, name="lead's")
    token_create(user=manager, name="manager's")
    client = Client()
    client.force_login(tech_lead)

    body = client.get("/admin/api/personaltoken/").content.decode()
    client.force_login(admin)
    with django_assert_max_num_queries(12):
        admin_body = client.get("/admin/api/personaltoken/").content.decode()

    assert "lead&#x27;s" in body and "manager&#x27;s" not in body
    assert "lead&#x27;s" in admin_body and "manager&#x27;s" in admin_body


def test_the_admin_revoke_action_ends_a_token(tech_lead, call):
    token, raw = token_create(user=tech_lead, name="ci")
    client = Client()
    client.force_login(tech_lead)

    client.post("/admin/api/personaltoken/", {"action": "revoke", "_selected_action": [token.pk]})

    assert PersonalToken.objects.get(pk=token.pk).revoked_at is not None
    assert call(raw, "GET", "/api/v1/projects/").status_code == 401
