"""How the OpenAPI schema describes the personal token authentication."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PersonalTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.authentication.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (audp_…), created in the admin or with "
            "`manage.py api_token_create`; it acts with its user's role and projects.",
        }


class SessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.authentication.CsrfSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "What went wrong, in a sentence."},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Invalid input only: the messages of each named field or parameter.",
        },
    },
    "required": ["error"],
}
ERRORS = {
    "400": "Invalid input: the field or parameter is named.",
    "401": "No credentials, or an invalid, expired or revoked token.",
    "403": "Your role may not do this.",
    "404": "No such object, or one of a project you may not see.",
    "429": "Throttled: retry after the Retry-After header's seconds.",
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation documents the JSON errors it can give."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            codes = ["401", "429"]
            if method != "get" or "{" not in path:
                codes.append("400")  # a body, or a list's filters
            if method != "get":
                codes.append("403")
            if "{" in path:
                codes.append("404")
            for code in codes:
                operation["responses"].setdefault(code, {"description": ERRORS[code], "content": reference})
    return result
