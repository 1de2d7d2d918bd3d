"""Sign in with the provider, its callback, and logout (the provider's too: RP-initiated)."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import admin, auth
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from sso import config
from sso.services import ClaimsError

logger = logging.getLogger(__name__)
FAILURES = (
    config.ProviderError,
    ClaimsError,
    SuspiciousOperation,
    requests.RequestException,
    jwt.PyJWTError,
    ValueError,
    KeyError,
)


def failure_page(request: HttpRequest, reason: str, *, status: int) -> HttpResponse:
    logger.warning("OIDC sign-in failed: %s", reason)
    context = {**admin.site.each_context(request), "reason": reason, "provider": config.provider_name()}
    return render(request, "sso/failed.html", context, status=status)


class _Start(OIDCAuthenticationRequestView):
    get_settings = staticmethod(config.oidc_setting)


class _Callback(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(config.oidc_setting)

    def login_failure(self):
        request = self.request
        if request.GET.get("error"):
            said = " ".join(filter(None, (request.GET.get("error"), request.GET.get("error_description"))))
            return failure_page(request, f"the provider answered: {said[:300]}", status=403)
        if "code" not in request.GET or "state" not in request.GET:
            return failure_page(request, "the provider's answer carries no code", status=400)
        return failure_page(
            request,
            "the sign-in could not be completed (it expired, was already used, or the account is "
            "deactivated); start again",
            status=403,
        )


def _enabled_or_404() -> None:
    if not config.enabled():
        raise Http404("Single sign-on is not configured.")


@login_not_required
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Redirects to the provider's authorization endpoint (code flow, PKCE, nonce)."""
    _enabled_or_404()
    try:
        return _Start.as_view()(request)
    except config.ProviderError as exc:
        return failure_page(request, str(exc), status=502)


@login_not_required
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the browser back here with a code; exchanged, verified, logged in."""
    _enabled_or_404()
    try:
        return _Callback.as_view()(request)
    except (config.ProviderError, requests.RequestException) as exc:
        return failure_page(request, f"the provider could not be reached: {exc}", status=502)
    except ImproperlyConfigured as exc:
        return failure_page(request, f"single sign-on is misconfigured in auditor: {exc}", status=503)
    except FAILURES as exc:
        return failure_page(request, str(exc) or type(exc).__name__, status=403)


def _provider_logout_url(request: HttpRequest) -> str | None:
    id_token = request.session.get("oidc_id_token")
    if not id_token:
        return None  # a local (break-glass) session: nothing to end at the provider
    try:
        endpoint = config.oidc_setting("OIDC_OP_LOGOUT_ENDPOINT", "")
    except config.ProviderError as exc:
        logger.warning("provider logout skipped: %s", exc)
        return None
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("admin:login")),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


@login_not_required
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """The admin's logout; a user signed in with the provider is logged out there too."""
    if not config.enabled() or not request.user.is_authenticated:
        return admin.site.logout(request)
    provider_url = _provider_logout_url(request)
    if provider_url is None:
        return admin.site.logout(request)
    auth.logout(request)
    # A page that moves on by itself rather than a redirect: the logout is a form, and the
    # CSP's form-action 'self' stops a form's redirect to another origin in the browser.
    context = {
        **admin.site.each_context(request),
        "provider_url": provider_url,
        "provider": config.provider_name(),
    }
    return render(request, "sso/logged_out.html", context)
