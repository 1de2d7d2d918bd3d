"""A person's triage of one finding: its status and its assignee. The one path for the admin's
change form and the REST API.

- Accepted risk and false positive are never written here: they are two people's decision, asked
  for through `hooks.request_closure` (governance records a pending exception, returned) and the
  status stays as it was until someone else approves it.
- Any other status change stamps `status_changed_at` and moves the SLA clock
  (`sla.record_status_change`): fixed stamps `fixed_at` and whether it was in time; leaving fixed
  resumes the clock without counting the time spent fixed.
- The assignee must be an active user who may see the finding's project.
- The row is locked while it changes and saved through the model, so the audit trail records
  before → after with the request's user.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from findings import hooks, sla
from findings.models import Finding
from projects import access


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()
# What a triage may write: the caller's copy of the finding is brought up to date with them.
TRIAGE_FIELDS = ("assignee_id", *sla.STATUS_CHANGE_FIELDS, "updated_at")


def check_assignee(finding: Finding, assignee: Any) -> None:
    """Raise a ValidationError naming the field unless `assignee` (a user or None) may be given
    the finding."""
    if assignee is not None and not (
        getattr(assignee, "is_active", False) and access.can_see_project(assignee, finding.project)
    ):
        raise ValidationError({"assignee": f"{assignee.get_username()} cannot see this project."})


def change_finding(
    finding: Finding,
    *,
    user: Any,
    status: Any = UNCHANGED,
    assignee: Any = UNCHANGED,
    note: str = "",
) -> Any:
    """Set `finding`'s status and/or assignee (a user or None) as `user`, who must be allowed to
    change it. Returns the pending exception a closure request recorded, else None; `finding`
    holds the values written. Raises PermissionDenied, or ValidationError naming the field (then
    nothing is written). `note` justifies a closure request."""
    if not (user.has_perm("findings.change_finding") and access.can_see_project(user, finding.project)):
        raise PermissionDenied("You may not change this finding.")
    if status is not UNCHANGED and status not in Finding.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    exception = None
    with transaction.atomic():
        current = Finding.objects.select_for_update().select_related("project").get(pk=finding.pk)
        changed: list[str] = []
        if assignee is not UNCHANGED:
            check_assignee(current, assignee)
            if current.assignee_id != getattr(assignee, "pk", None):
                current.assignee = assignee
                changed.append("assignee")
        if status is not UNCHANGED and str(status) != str(current.status):
            if str(status) in hooks.CLOSED_BY_DECISION:
                try:
                    exception = hooks.request_closure(
                        finding=current, status=str(status), user=user, note=note
                    )
                except hooks.ClosureRefused as exc:
                    raise ValidationError({"status": str(exc)}) from None
            else:
                old, now = current.status, timezone.now()
                current.status = status
                current.status_changed_at = now
                sla.record_status_change(current, old, now)
                changed += sla.STATUS_CHANGE_FIELDS
        if changed:
            current.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
    for name in TRIAGE_FIELDS:
        setattr(finding, name, getattr(current, name))
    if "assignee" in changed:
        finding.assignee = current.assignee
    return exception
