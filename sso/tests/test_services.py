"""Claims to users: creation, linking, roles and projects (sso/services.py)."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured

from conftest import make_user
from projects.access import AUDITOR, MANAGER, TECH_LEAD
from sso.services import ClaimsError, oidc_user_sync, parse_role_map

ISSUER = "https://idp.example.com"


def test_the_role_map_is_parsed_and_checked():
    assert parse_role_map(" leads = Tech lead ,admins=Admin,") == {"leads": TECH_LEAD, "admins": "Admin"}
    with pytest.raises(ImproperlyConfigured, match="'leads=Boss' is not value=Role"):
        parse_role_map("leads=Boss")
    with pytest.raises(ImproperlyConfigured):
        parse_role_map("leads")


@pytest.mark.django_db
def test_unknown_claim_values_are_ignored_with_a_log_line(sso_settings, caplog):
    caplog.set_level(logging.INFO, logger="sso.services")
    outcome = oidc_user_sync(
        claims={
            "sub": "1",
            "preferred_username": "dee",
            "groups": ["auditors", "interns"],
            "projects": ["nope"],
        },
        issuer=ISSUER,
    )
    assert outcome.roles == {AUDITOR}
    assert set(outcome.ignored) == {"interns", "nope"}
    assert "values ['interns'] map to no role" in caplog.text
    assert "names no project ['nope']" in caplog.text


@pytest.mark.django_db
def test_the_same_subject_is_the_same_user_and_a_taken_name_is_never_merged(sso_settings):
    local = make_user("erin")  # a local account of that name, another person
    first = oidc_user_sync(claims={"sub": "42", "preferred_username": "erin"}, issuer=ISSUER)
    again = oidc_user_sync(
        claims={"sub": "42", "preferred_username": "erin", "groups": ["managers"]}, issuer=ISSUER
    )
    assert first.user.pk == again.user.pk != local.pk
    assert first.user.username.startswith("erin-") and first.created and not again.created
    assert set(again.user.groups.values_list("name", flat=True)) == {MANAGER}
    other_issuer = oidc_user_sync(
        claims={"sub": "42", "preferred_username": "erin"}, issuer="https://other.example"
    )
    assert other_issuer.user.pk not in (first.user.pk, local.pk)


@pytest.mark.django_db
def test_an_existing_account_is_linked_by_a_verified_address_only(sso_settings):
    frank = make_user("frank")
    unverified = oidc_user_sync(claims={"sub": "7", "email": "frank@example.com"}, issuer=ISSUER)
    assert unverified.user.pk != frank.pk and unverified.created

    linked = oidc_user_sync(
        claims={"sub": "9", "email": "FRANK@example.com", "email_verified": True}, issuer="https://b.example"
    )
    assert linked.user.pk == frank.pk and not linked.created

    User.objects.filter(username__in=["twin", "twin2"]).delete()
    for name in ("twin", "twin2"):
        User.objects.create_user(name, email="twin@example.com")
    ambiguous = oidc_user_sync(
        claims={"sub": "10", "email": "twin@example.com", "email_verified": True}, issuer=ISSUER
    )
    assert ambiguous.created  # two accounts with that address: neither is linked


@pytest.mark.django_db
def test_a_deactivated_user_or_a_missing_subject_is_refused(sso_settings):
    with pytest.raises(ClaimsError, match="no subject"):
        oidc_user_sync(claims={"preferred_username": "x"}, issuer=ISSUER)
    outcome = oidc_user_sync(claims={"sub": "5", "preferred_username": "gone"}, issuer=ISSUER)
    User.objects.filter(pk=outcome.user.pk).update(is_active=False)
    with pytest.raises(ClaimsError, match="deactivated"):
        oidc_user_sync(claims={"sub": "5", "groups": ["auditor-admins"]}, issuer=ISSUER)
    assert not User.objects.get(pk=outcome.user.pk).is_superuser  # nothing written


def test_a_wrong_role_map_is_reported_by_the_system_check(settings):
    from sso.apps import check_role_map

    settings.OIDC_ROLE_MAP = "leads=Tech lead"
    assert check_role_map() == []
    settings.OIDC_ROLE_MAP = "leads=Chief"
    [error] = check_role_map()
    assert error.id == "sso.E001" and "'leads=Chief'" in error.msg


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_first_logins_at_once_make_one_user(sso_settings):
    import threading

    from django.db import connection

    claims = {"sub": "77", "preferred_username": "hana", "email": "hana@example.com"}
    barrier = threading.Barrier(2)
    results: list[object] = []

    def login():
        barrier.wait()
        try:
            results.append(oidc_user_sync(claims=claims, issuer=ISSUER).user.pk)
        except Exception as exc:  # noqa: BLE001  # the assertion below names it
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=login) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results)) == 1 and isinstance(results[0], int), results
    assert User.objects.filter(email="hana@example.com").count() == 1


@pytest.mark.django_db
def test_the_identity_admin_lists_without_a_query_per_row(
    sso_settings, admin, client, django_assert_max_num_queries
):
    for number in range(5):
        oidc_user_sync(claims={"sub": str(number), "preferred_username": f"u{number}"}, issuer=ISSUER)
    client.force_login(admin)
    with django_assert_max_num_queries(8):
        page = client.get("/admin/sso/oidcidentity/")
    assert page.status_code == 200 and "u4" in page.content.decode()
    assert client.get("/admin/sso/oidcidentity/add/").status_code == 403
