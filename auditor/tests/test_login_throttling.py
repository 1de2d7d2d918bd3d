import pytest
from axes.models import AccessAttempt
from django.conf import settings

from conftest import PASSWORD

LOGIN = "/admin/login/?next=/admin/"
WRONG = "not-the-right-one"


def attempt(client, password, username="lead", ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_after_too_many_failures_the_account_is_locked_with_a_clear_message(client, tech_lead):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, WRONG).status_code == 200  # the form again, with its error

    response = attempt(client, WRONG)

    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    # Locked: even the right password is refused now, and no session is opened.
    response = attempt(client, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_lock_is_per_account_and_address(client, tech_lead, manager):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, WRONG)

    assert attempt(client, PASSWORD, ip="10.0.0.2").status_code == 302  # same user, other address
    assert attempt(client, PASSWORD, username="manager").status_code == 302  # other user


@pytest.mark.django_db
def test_a_successful_login_resets_the_failure_count(client, tech_lead):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, WRONG)
    assert attempt(client, PASSWORD).status_code == 302
    client.logout()

    assert attempt(client, WRONG).status_code == 200
    assert AccessAttempt.objects.get(username="lead").failures_since_start == 1


@pytest.mark.django_db
def test_behind_trusted_proxies_the_forwarded_address_is_the_one_counted(client, tech_lead, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            LOGIN,
            {"username": "lead", "password": WRONG},
            REMOTE_ADDR="10.9.9.9",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )

    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"
    # Another client behind the same proxy is not locked out.
    response = client.post(
        LOGIN,
        {"username": "lead", "password": PASSWORD},
        REMOTE_ADDR="10.9.9.9",
        HTTP_X_FORWARDED_FOR="203.0.113.8",
    )
    assert response.status_code == 302


def test_password_validators_are_on():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        validate_password("password1")
    messages = " ".join(error.value.messages)
    assert "too short" in messages
    assert "too common" in messages
