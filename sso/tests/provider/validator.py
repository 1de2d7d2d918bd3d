import json

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


def user_entry(username: str) -> dict:
    with open(settings.PROVIDER_USERS_FILE, encoding="utf-8") as handle:
        return json.load(handle)[username]


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below goes into the ID token and the user info

    def get_additional_claims(self, request):
        entry = user_entry(request.user.username)
        return {
            "email": entry["email"],
            "email_verified": True,
            "preferred_username": request.user.username,
            **entry.get("claims", {}),
        }
