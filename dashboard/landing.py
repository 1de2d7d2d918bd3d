"""Where a user lands after logging in, by role (LOGIN_REDIRECT_URL points here).

A login with a `next` (a deep link, or a page the login middleware interrupted) goes there for
every role: Django's login view honours it before ever reaching this view. Without one:

- admins (superusers) go to the admin index, where their work is;
- tech leads go to their queue of open checklist items;
- managers and auditors go to the portfolio: managers read it, and it is where an auditor sees
  which projects are stale or due for an audit before opening one (the admin is one click
  away in the top bar);
- anyone else (no role yet) goes to the portfolio too, which shows what they may see.

A user with several roles gets the first that applies in this order.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from projects import access


def landing_url(user) -> str:
    if user.is_superuser:
        return reverse("admin:index")
    if access.has_role(user, access.TECH_LEAD):
        return reverse("checklists:queue")
    return reverse("portfolio")


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    return HttpResponseRedirect(target or landing_url(request.user))


@login_not_required
def login(request: HttpRequest) -> HttpResponse:
    """The admin's login page, sending a login without `next` to the landing by role.

    The admin login alone would send everyone to the admin index when no `next` is given.
    """
    if "next" in request.GET or "next" in request.POST:
        return admin.site.login(request)
    return admin.site.login(request, extra_context={"next": resolve_url(settings.LOGIN_REDIRECT_URL)})
