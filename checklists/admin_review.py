"""The review of a checklist in the admin: submit, sign off by someone else (four eyes),
reopen with a reason, and read-only once signed off. Thin: every write is a checklists service.

Mixed into `ChecklistAdmin` (checklists/admin.py) by `ChecklistReviewAdminMixin`.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from checklists import services
from checklists.models import Checklist, ReviewState
from checklists.review import SUBMITTER_CANNOT_SIGN, may_sign_off


def error_text(error: Exception) -> str:
    """The message of a refusal, for the admin's messages."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "Not allowed."


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why it is reopened; kept in the checklist's review log.",
    )


class ChecklistReviewAdminMixin:
    """Review actions, the review page of one checklist, and read-only once signed off."""

    review_actions = ("submit_for_review_selected", "sign_off_selected", "reopen_selected")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.review_state == ReviewState.SIGNED_OFF:
            return False  # read-only until reopened (the review page reopens it)
        return super().has_change_permission(request, obj)

    def has_signoff_permission(self, request):
        return request.user.has_perm("checklists.signoff_checklist")

    def has_reopen_permission(self, request):
        user = request.user
        return user.has_perm("checklists.reopen_checklist") or user.has_perm("checklists.change_checklist")

    def _each(self, request, queryset, act, done: str) -> None:
        count, refused = 0, []
        for checklist in queryset.select_related("project"):
            try:
                act(checklist)
            except (ValidationError, PermissionDenied) as error:
                refused.append(f"{checklist.title}: {error_text(error)}")
            else:
                count += 1
        if count:
            self.message_user(request, f"{count} checklist(s) {done}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description="Submit selected checklists for review", permissions=["change"])
    def submit_for_review_selected(self, request, queryset):
        self._each(request, queryset, lambda c: services.submit_for_review(c, user=request.user), "submitted")

    @admin.action(
        description="Sign off selected checklists (not your own submissions)", permissions=["signoff"]
    )
    def sign_off_selected(self, request, queryset):
        self._each(request, queryset, lambda c: services.sign_off(c, user=request.user), "signed off")

    @admin.action(description="Reopen selected checklists (with a reason)", permissions=["reopen"])
    def reopen_selected(self, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._each(
                request, queryset, lambda c: services.reopen(c, user=request.user, reason=reason), "reopened"
            )
            return None
        return self._action_page(
            request, queryset, action="reopen_selected", title="Reopen checklists", form=form
        )

    # The review page of one checklist -----------------------------------------------------

    def review_urls(self):
        return [
            path(
                "<path:object_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name="checklists_checklist_review",
            )
        ]

    def review_view(self, request, object_id):
        checklist = self.get_object(request, object_id)
        if checklist is None or not self.has_view_permission(request, checklist):
            raise PermissionDenied
        if request.method == "POST":
            return self._review_post(request, checklist)
        return self._review_page(request, checklist, ReasonForm())

    def _review_post(self, request, checklist: Checklist) -> HttpResponse:
        action = request.POST.get("action")
        user = request.user
        may_act = {
            "submit": user.has_perm("checklists.change_checklist"),
            "sign_off": user.has_perm("checklists.signoff_checklist"),
            "reopen": self.has_reopen_permission(request) or user.has_perm("checklists.signoff_checklist"),
        }
        if action not in may_act:
            if not any(may_act.values()):
                raise PermissionDenied
            return HttpResponseBadRequest("Say what to do: submit, sign_off or reopen.")
        if not may_act[action]:
            raise PermissionDenied
        form = ReasonForm(request.POST) if action == "reopen" else None
        if form is not None and not form.is_valid():
            return self._review_page(request, checklist, form, status=400)
        try:
            if action == "submit":
                services.submit_for_review(checklist, user=user)
            elif action == "sign_off":
                services.sign_off(checklist, user=user)
            else:
                services.reopen(checklist, user=user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, error_text(error))
            return self._review_page(request, checklist, form or ReasonForm(), status=400)
        messages.success(request, f"{checklist.title}: {checklist.get_review_state_display().lower()}.")
        return HttpResponseRedirect(reverse("admin:checklists_checklist_review", args=[checklist.pk]))

    def _review_page(self, request, checklist: Checklist, form, status: int = 200) -> TemplateResponse:
        user = request.user
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review of {checklist.title}",
            "media": self.media,
            "opts": self.opts,
            "original": checklist,
            "checklist": checklist,
            "form": form,
            "events": list(checklist.review_events.select_related("user")[:50]),
            "may_submit": checklist.review_state == ReviewState.OPEN
            and user.has_perm("checklists.change_checklist"),
            "may_sign_off": may_sign_off(checklist, user),
            "own_submission": checklist.review_state == ReviewState.SUBMITTED
            and checklist.submitted_by_id == user.pk,
            "submitter_cannot_sign": SUBMITTER_CANNOT_SIGN,
            "may_reopen": checklist.review_state != ReviewState.OPEN
            and (self.has_reopen_permission(request) or user.has_perm("checklists.signoff_checklist")),
        }
        return TemplateResponse(request, "checklists/admin/review.html", context, status=status)
