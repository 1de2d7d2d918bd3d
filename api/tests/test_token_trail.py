"""Personal API tokens in the audit trail: their creation and revocation are recorded with who
did it, never with the token's hash (nor the secret), and their last use is not."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.test import Client

from api.models import PersonalToken
from api.services import token_authenticate, token_create, token_revoke


def entries_for(token: PersonalToken):
    return list(LogEntry.objects.get_for_object(token).order_by("timestamp", "id"))


def test_creating_a_token_records_it_without_its_hash_or_secret(tech_lead):
    token, raw = token_create(user=tech_lead, name="nightly export")

    [created] = entries_for(token)
    assert created.action == LogEntry.Action.CREATE
    assert created.changes_dict["name"][1] == "nightly export"
    assert created.changes_dict["prefix"][1] == raw[:12]
    assert {"user", "expires_at"} <= set(created.changes_dict)
    assert "token_hash" not in created.changes_dict
    stored = PersonalToken.objects.get(pk=token.pk)
    assert stored.token_hash not in str(created.changes)
    assert raw not in str(created.changes)


def test_revoking_in_the_admin_records_who_revoked_it_once(admin, tech_lead):
    token, _ = token_create(user=tech_lead, name="ci export")
    client = Client()
    client.force_login(admin)

    for _ in range(2):  # the second revocation changes nothing and records nothing
        client.post("/admin/api/personaltoken/", {"action": "revoke", "_selected_action": [token.pk]})

    revoked = [e for e in entries_for(token) if e.action == LogEntry.Action.UPDATE]
    assert len(revoked) == 1
    assert revoked[0].actor == admin
    before, after = revoked[0].changes_dict["revoked_at"]
    assert before == "None" and after != "None"
    assert set(revoked[0].changes_dict) == {"revoked_at"}


def test_the_service_revocation_is_recorded_and_reported_once(tech_lead):
    token, _ = token_create(user=tech_lead, name="one-off")

    assert token_revoke(token=token) is True
    assert token_revoke(token=token) is False

    assert token.revoked_at is not None
    assert [e.action for e in entries_for(token)] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]


def test_using_a_token_leaves_no_trail_entry(tech_lead):
    token, raw = token_create(user=tech_lead, name="reader")

    assert token_authenticate(raw=raw) is not None

    assert PersonalToken.objects.get(pk=token.pk).last_used_at is not None
    assert len(entries_for(token)) == 1  # its creation only
