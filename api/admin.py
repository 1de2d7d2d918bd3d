"""Personal API tokens in the admin: every staff user manages their own (admins: everyone's).
The secret is shown once, on the page that follows the creation, and never again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from api.models import PersonalToken
from api.services import token_expiry, token_new_secret, token_revoke

if TYPE_CHECKING:  # generic in the stubs only
    _FormBase = forms.ModelForm[PersonalToken]
    _AdminBase = admin.ModelAdmin[PersonalToken]
else:
    _FormBase = forms.ModelForm
    _AdminBase = admin.ModelAdmin


class PersonalTokenForm(_FormBase):
    days = forms.IntegerField(
        min_value=1,
        initial=settings.API_TOKEN_DEFAULT_DAYS,
        help_text="How many days the token works (at most API_TOKEN_MAX_DAYS).",
    )

    class Meta:
        model = PersonalToken
        fields = ["name", "user"]

    def clean_days(self) -> int:
        days = int(self.cleaned_data["days"])
        if days > settings.API_TOKEN_MAX_DAYS:
            raise forms.ValidationError(f"At most {settings.API_TOKEN_MAX_DAYS} days (API_TOKEN_MAX_DAYS).")
        return days


@admin.register(PersonalToken)
class PersonalTokenAdmin(_AdminBase):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    readonly_fields = ("prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    actions = ["revoke"]
    show_full_result_count = False

    # Every active staff user may hold tokens of their own: the role comes from the user.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and (obj is None or self._own(request, obj))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a token is created, used and revoked; never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def _own(self, request: HttpRequest, obj: PersonalToken) -> bool:
        return bool(request.user.is_superuser or obj.user_id == request.user.pk)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PersonalToken]:
        queryset = super().get_queryset(request)
        viewer: Any = request.user  # a logged-in staff user here (admin pages)
        return queryset if viewer.is_superuser else queryset.filter(user=viewer)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = PersonalTokenForm
            if not request.user.is_superuser:
                kwargs["fields"] = ["name", "days"]
            else:
                kwargs["fields"] = ["name", "user", "days"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["name", "user", "days"] if request.user.is_superuser else ["name", "days"]
        return ["name", "user", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else ("name", "user", *self.readonly_fields)

    def get_autocomplete_fields(self, request: HttpRequest) -> Any:
        return ("user",) if request.user.is_superuser else ()

    def save_model(self, request: HttpRequest, obj: PersonalToken, form: Any, change: bool) -> None:
        if not change:
            if not request.user.is_superuser or obj.user_id is None:
                creator: Any = request.user
                obj.user = creator
            raw, obj.prefix, obj.token_hash = token_new_secret()
            obj.expires_at = token_expiry(form.cleaned_data["days"])
            super().save_model(request, obj, form, change)
            obj._raw_secret = raw  # type: ignore[attr-defined]  # read by response_add only
            return
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: PersonalToken, post_url_continue: Any = None
    ) -> HttpResponse:
        """The secret is shown in this response only: never in a message, which may wait in a
        cookie or the session until the next page reads it, and never cached."""
        response = TemplateResponse(
            request,
            "admin/api/personaltoken/created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "token": obj,
                "secret": getattr(obj, "_raw_secret", ""),
                "title": "Token created",
            },
        )
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[PersonalToken]) -> HttpResponse | None:
        done = sum(token_revoke(token=token) for token in queryset)
        self.message_user(request, f"{done} token(s) revoked.")
        return None
