"""Exceptions: request, approve (four eyes), reject, revoke, expire; and what each does to the
findings and checklist items it covers.

An approved exception closes what it covers (a finding becomes accepted risk or false positive,
a checklist item not applicable), so it leaves every open count and score the way those
statuses always did; a pending one changes nothing. When it expires or is revoked, what it
closed reopens, with a note saying why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from checklists.models import ChecklistItem, ItemState
from checklists.services import checklist_item_record_change, checklist_item_save
from findings import hooks
from findings.hooks import CLOSED_BY_DECISION, ClosureClaim, ClosureRefused
from findings.models import Finding, FindingComment
from governance.models import STANDING_STATES, Origin, PolicyException, Reason, State, Target
from projects import access
from projects.events import announce_evidence_changed
from projects.models import Project

APPROVE_PERMISSION = "governance.approve_policyexception"
REQUEST_PERMISSION = "governance.add_policyexception"
ACTIVE = tuple(str(s) for s in Finding.ACTIVE_STATUSES)
# The finding status an approved exception gives, by reason.
FINDING_STATUS = {
    Reason.FALSE_POSITIVE: str(Finding.Status.FALSE_POSITIVE),
    Reason.TEST_DATA: str(Finding.Status.FALSE_POSITIVE),
    Reason.ACCEPTED_RISK: str(Finding.Status.ACCEPTED_RISK),
    Reason.NOT_APPLICABLE: str(Finding.Status.ACCEPTED_RISK),
    Reason.MITIGATED_ELSEWHERE: str(Finding.Status.ACCEPTED_RISK),
}
# The reason a status asked for in the admin or a spreadsheet stands for.
REASON_FOR_STATUS = {
    str(Finding.Status.ACCEPTED_RISK): Reason.ACCEPTED_RISK,
    str(Finding.Status.FALSE_POSITIVE): Reason.FALSE_POSITIVE,
}
LEGACY_REASON = "Recorded before exceptions existed."


def _is_user(user: Any) -> bool:
    return user is not None and getattr(user, "pk", None) is not None and user.is_authenticated


def can_request(user: Any, project: Project) -> bool:
    return _is_user(user) and user.has_perm(REQUEST_PERMISSION) and access.can_see_project(user, project)


def can_approve(user: Any, exception: PolicyException) -> bool:
    """Whether `user` may approve or reject `exception`: the permission, the project, and never
    one's own request."""
    return (
        _is_user(user)
        and user.is_active
        and user.has_perm(APPROVE_PERMISSION)
        and exception.requested_by_id != user.pk
        and access.can_see_project(user, exception.project)
    )


def default_expiry(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()) + dt.timedelta(days=settings.EXCEPTION_DEFAULT_EXPIRY_DAYS)


# --- requests -------------------------------------------------------------------------------


def exception_request(
    *,
    user: Any,
    reason: str,
    justification: str,
    finding: Finding | None = None,
    checklist_item: ChecklistItem | None = None,
    project: Project | None = None,
    tool: str = "",
    rule_id: str = "",
    expires_on: dt.date | None = None,
    today: dt.date | None = None,
    save: bool = True,
) -> PolicyException:
    """Record a pending exception for one target: a finding, a checklist item, or a rule (a
    project with a tool and rule id). Raises ValidationError naming the problem (nothing
    written) or PermissionDenied. `save=False` checks and returns the unsaved exception (the
    admin form checks before it saves)."""
    today = today or timezone.localdate()
    targets = [finding is not None, checklist_item is not None, bool(tool or rule_id)]
    if sum(targets) != 1:
        raise ValidationError("Name exactly one target: a finding, a checklist item, or a tool and rule id.")
    if finding is not None:
        target, project = Target.FINDING, finding.project
    elif checklist_item is not None:
        target, project = Target.CHECKLIST_ITEM, checklist_item.checklist.project
    else:
        target = Target.RULE
        tool, rule_id = tool.strip(), rule_id.strip()
        if not tool or not rule_id:
            raise ValidationError("A rule exception needs both the tool and the rule id.")
        if project is None:
            raise ValidationError("A rule exception needs its project.")
    if not can_request(user, project):
        raise PermissionDenied("You may not request exceptions in this project.")
    if reason not in Reason.values:
        raise ValidationError(f"Unknown reason {reason!r}; expected one of {', '.join(Reason.values)}.")
    justification = (justification or "").strip()
    if not justification:
        raise ValidationError({"justification": "Say why: a reviewer must be able to check it."})
    if checklist_item is not None and reason not in (Reason.NOT_APPLICABLE, Reason.MITIGATED_ELSEWHERE):
        raise ValidationError(
            "A checklist item can only be excepted as not applicable or mitigated elsewhere."
        )
    if expires_on is None and reason == Reason.ACCEPTED_RISK:
        expires_on = default_expiry(today)
    if expires_on is not None and expires_on <= today:
        raise ValidationError({"expires_on": "The expiry date must be after today."})
    standing = PolicyException.objects.filter(state__in=STANDING_STATES)
    if target == Target.FINDING:
        standing = standing.filter(finding=finding)
    elif target == Target.CHECKLIST_ITEM:
        standing = standing.filter(checklist_item=checklist_item)
    else:
        standing = standing.filter(target=Target.RULE, project=project, tool=tool, rule_id=rule_id)
    existing = standing.first()
    if existing is not None:
        raise ValidationError(
            f"Exception #{existing.pk} ({existing.get_state_display().lower()}) already covers this."
        )
    exception = PolicyException(
        project=project,
        target=target,
        finding=finding,
        checklist_item=checklist_item,
        tool=tool,
        rule_id=rule_id,
        reason=reason,
        justification=justification,
        requested_by=user,
        expires_on=expires_on,
    )
    if save:
        exception.save()
    return exception


def finding_closure_request(*, finding: Finding, status: str, user: Any, note: str = "") -> PolicyException:
    """The handler of findings.hooks.request_closure: the admin's or a spreadsheet's status change
    to accepted risk / false positive becomes a pending exception; the status stays as it was."""
    reason = REASON_FOR_STATUS[status]
    existing = (
        PolicyException.objects.filter(finding=finding, state__in=STANDING_STATES).order_by("-pk").first()
    )
    if existing is not None and existing.reason == reason:
        return existing  # asked twice (a re-uploaded spreadsheet): one request
    who = user.get_username() if _is_user(user) else "someone"
    try:
        return exception_request(
            user=user,
            reason=reason,
            justification=note or f"Status set to {Finding.Status(status).label.lower()} by {who}.",
            finding=finding,
        )
    except (ValidationError, PermissionDenied) as exc:
        raise ClosureRefused(" ".join(getattr(exc, "messages", [str(exc)]))) from None


# --- claims made by imported files ------------------------------------------------------------

CLAIM_ORIGINS = {hooks.SUPPRESSED_IN_SCAN: Origin.SUPPRESSION, hooks.STATED_IN_REPORT: Origin.REPORT}


def after_import(project_id: int, *, claims: Sequence[ClosureClaim] = (), user_id: int | None = None) -> None:
    """The handler of findings.hooks.after_import (inside the import's transaction): approved
    rule exceptions close the findings they cover, then each claim of the file becomes a pending
    exception."""
    rule_exceptions_apply(project_id)
    if claims:
        claims_request(project_id, claims=claims, user_id=user_id)


def claims_request(
    project_id: int,
    *,
    claims: Sequence[ClosureClaim],
    user_id: int | None = None,
    today: dt.date | None = None,
) -> list[int]:
    """Turn a file's claims into pending exceptions, one per open finding claimed, requested on
    behalf of whoever imported the file (so they cannot approve it themselves). The findings stay
    open, and count as open in every score and gate, until someone else approves.

    A finding already covered by a pending or approved exception gets no second one, nor does one
    whose claim of the same origin was rejected (the team's suppression was reviewed: asking again
    on every import would only flood the approvers). Five queries whatever the number of claims.
    Returns the ids of the exceptions created."""
    today = today or timezone.localdate()
    by_fingerprint = {claim.fingerprint: claim for claim in claims}
    open_findings = dict(
        Finding.objects.filter(
            project_id=project_id, fingerprint__in=list(by_fingerprint), status__in=ACTIVE
        ).values_list("pk", "fingerprint")
    )
    if not open_findings:
        return []
    skip = {
        finding_id
        for finding_id, state, origin in PolicyException.objects.filter(finding_id__in=list(open_findings))
        .filter(Q(state__in=STANDING_STATES) | Q(state=State.REJECTED) & ~Q(origin=Origin.REQUEST))
        .values_list("finding_id", "state", "origin")
        if state in STANDING_STATES
        or origin == CLAIM_ORIGINS.get(by_fingerprint[open_findings[finding_id]].origin)
    }
    wanted = []
    for finding_id, fingerprint in open_findings.items():
        if finding_id in skip:
            continue
        claim = by_fingerprint[fingerprint]
        reason = REASON_FOR_STATUS.get(claim.status, Reason.ACCEPTED_RISK)
        origin = CLAIM_ORIGINS.get(claim.origin, Origin.SUPPRESSION)
        wanted.append(
            PolicyException(
                project_id=project_id,
                target=Target.FINDING,
                finding_id=finding_id,
                reason=reason,
                justification=_claim_justification(claim, origin, reason),
                requested_by_id=user_id,
                origin=origin,
                expires_on=default_expiry(today) if reason == Reason.ACCEPTED_RISK else None,
            )
        )
    if not wanted:
        return []
    # A person's request made at the same moment wins: the claim is then simply not recorded.
    PolicyException.objects.bulk_create(wanted, ignore_conflicts=True)
    created = list(
        PolicyException.objects.filter(
            finding_id__in=[e.finding_id for e in wanted],
            state=State.PENDING,
            origin__in=list(CLAIM_ORIGINS.values()),
        ).values_list("pk", "finding_id", "origin")
    )
    FindingComment.objects.bulk_create(
        [
            FindingComment(
                finding_id=finding_id,
                body=f"{Origin(origin).label}: exception #{pk} is pending. The finding counts as open "
                "until someone other than the importer approves it.",
            )
            for pk, finding_id, origin in created
        ],
        batch_size=500,
    )
    return [pk for pk, _finding_id, _origin in created]


def _claim_justification(claim: ClosureClaim, origin: str, reason: str) -> str:
    where = claim.source or "an imported file"
    if origin == Origin.SUPPRESSION:
        return (
            f"Suppressed by the team in {where} (a suppression in the code or the scanner's "
            "configuration). Approve it if the suppression is right."
        )
    return f"Stated as {Reason(reason).label.lower()} in {where}. Approve it if the statement is right."


# --- decisions ------------------------------------------------------------------------------


def _claim(exception: PolicyException, from_states: tuple[str, ...], **changes: Any) -> bool:
    """Move the exception on only if it is still in one of `from_states` (one conditional UPDATE,
    so two racing decisions cannot both win)."""
    done = PolicyException.objects.filter(pk=exception.pk, state__in=from_states).update(
        **changes, updated_at=timezone.now()
    )
    exception.refresh_from_db()
    return bool(done)


def exception_approve(
    *, exception: PolicyException, user: Any, today: dt.date | None = None
) -> PolicyException:
    """Approve a pending exception and close what it covers. Four eyes: the requester cannot
    approve (checked here and by the database)."""
    today = today or timezone.localdate()
    if _is_user(user) and exception.requested_by_id == user.pk:
        raise PermissionDenied("You requested this exception: someone else must approve it.")
    if not can_approve(user, exception):
        raise PermissionDenied("You may not approve exceptions in this project.")
    if exception.expires_on is not None and exception.expires_on <= today:
        raise ValidationError("This exception's expiry date has passed: request a new one.")
    with transaction.atomic():
        if not _claim(
            exception,
            (State.PENDING,),
            state=State.APPROVED,
            approved_by=user,
            decided_at=timezone.now(),
        ):
            raise ValidationError(
                f"Exception #{exception.pk} is {exception.get_state_display().lower()}, not pending."
            )
        _apply(exception)
    return exception


def exception_reject(*, exception: PolicyException, user: Any, note: str = "") -> PolicyException:
    if not can_approve(user, exception):
        raise PermissionDenied("You may not reject this exception.")
    if not _claim(
        exception,
        (State.PENDING,),
        state=State.REJECTED,
        decided_by=user,
        decided_at=timezone.now(),
        end_note=note.strip(),
    ):
        raise ValidationError(
            f"Exception #{exception.pk} is {exception.get_state_display().lower()}, not pending."
        )
    return exception


def exception_revoke(*, exception: PolicyException, user: Any, note: str = "") -> PolicyException:
    """End a pending or approved exception early: its requester withdraws it, or an approver ends
    it. What it closed reopens."""
    own = _is_user(user) and exception.requested_by_id == user.pk
    if not (own and access.can_see_project(user, exception.project)) and not can_approve(user, exception):
        raise PermissionDenied("You may not revoke this exception.")
    who = user.get_username()
    why = f"Exception #{exception.pk} revoked by {who}" + (f": {note.strip()}" if note.strip() else ".")
    with transaction.atomic():
        was_approved = exception.state == State.APPROVED
        if not _claim(
            exception,
            tuple(STANDING_STATES),
            state=State.REVOKED,
            decided_by=user,
            decided_at=timezone.now(),
            end_note=why,
        ):
            raise ValidationError(
                f"Exception #{exception.pk} is already {exception.get_state_display().lower()}."
            )
        if was_approved:
            _reopen(exception, why)
    return exception


def exceptions_expire(*, today: dt.date | None = None) -> list[int]:
    """End the approved exceptions whose expiry date has come, and reopen what they closed.

    Each one is claimed by a conditional UPDATE (approved -> expired) in its own transaction, and
    only the run whose UPDATE changed the row reopens its targets: two beat runs racing each
    other reopen every target exactly once. Returns the ids this run expired."""
    today = today or timezone.localdate()
    due = list(
        PolicyException.objects.filter(state=State.APPROVED, expires_on__lte=today)
        .order_by("expires_on", "pk")
        .values_list("pk", "expires_on")
    )
    return [pk for pk, expires_on in due if expires_on is not None and exception_expire_one(pk, expires_on)]


def exception_expire_one(pk: int, expires_on: dt.date) -> bool:
    """Claim one approved exception as expired and reopen its targets; False when another run
    claimed it first (or it was revoked meanwhile)."""
    why = f"Exception #{pk} expired on {expires_on:%Y-%m-%d}: reopened."
    with transaction.atomic():
        now = timezone.now()
        claimed = PolicyException.objects.filter(pk=pk, state=State.APPROVED).update(
            state=State.EXPIRED, decided_at=now, end_note=why, updated_at=now
        )
        if not claimed:
            return False
        _reopen(PolicyException.objects.get(pk=pk), why)
    return True


# --- effects ----------------------------------------------------------------------------------


def _apply(exception: PolicyException) -> None:
    """Close what an approved exception covers (only what is still open)."""
    now = timezone.now()
    if exception.target == Target.FINDING:
        finding = Finding.objects.select_for_update().get(exceptions=exception)
        if finding.status in ACTIVE:
            finding.status = FINDING_STATUS[Reason(exception.reason)]
            finding.status_changed_at = now
            finding.save(update_fields=["status", "status_changed_at", "updated_at"])
            FindingComment.objects.create(
                finding=finding,
                body=f"Closed as {finding.get_status_display().lower()} by exception #{exception.pk} "
                f"({exception.get_reason_display().lower()}), approved by {exception.approved_by}.",
            )
    elif exception.target == Target.RULE:
        rule_exceptions_apply(exception.project_id, only=exception.pk)
    else:
        item = ChecklistItem.objects.select_for_update().get(exceptions=exception)
        if item.state == ItemState.TODO:
            previous = item.state
            item.state = ItemState.NOT_APPLICABLE
            if not item.note.strip():
                item.note = f"Exception #{exception.pk}: {exception.justification}"
            checklist_item_record_change(item=item, previous_state=previous, user=exception.approved_by)
            checklist_item_save(item=item)
    announce_evidence_changed(sender=PolicyException, project_id=exception.project_id)


def rule_exceptions_apply(project_id: int, *, only: int | None = None) -> int:
    """Close the open findings of a project that its approved rule exceptions cover (after each
    import, so findings of future imports are covered too). Returns how many changed."""
    rules = PolicyException.objects.filter(project_id=project_id, target=Target.RULE, state=State.APPROVED)
    if only is not None:
        rules = rules.filter(pk=only)
    changed = 0
    now = timezone.now()
    for tool, rule_id, reason in rules.values_list("tool", "rule_id", "reason"):
        changed += Finding.objects.filter(
            project_id=project_id, tool=tool, rule_id=rule_id, status__in=ACTIVE
        ).update(status=FINDING_STATUS[Reason(reason)], status_changed_at=now, updated_at=now)
    if changed:
        announce_evidence_changed(sender=PolicyException, project_id=project_id)
    return changed


def _reopen(exception: PolicyException, why: str) -> None:
    """Reopen what an ended exception closed, saying why. Findings still covered by another
    approved exception stay closed."""
    now = timezone.now()
    if exception.target == Target.CHECKLIST_ITEM:
        item = ChecklistItem.objects.select_for_update().get(exceptions=exception)
        if item.state == ItemState.NOT_APPLICABLE:
            previous = item.state
            item.state = ItemState.TODO
            checklist_item_record_change(item=item, previous_state=previous, user=None)
            # The history row says why the item reopened, not what its note says.
            item._pending_history.note = why  # type: ignore[attr-defined]
            checklist_item_save(item=item)
        return
    findings = Finding.objects.filter(project_id=exception.project_id, status__in=CLOSED_BY_DECISION)
    if exception.target == Target.FINDING:
        findings = findings.filter(exceptions=exception)
    else:
        findings = findings.filter(tool=exception.tool, rule_id=exception.rule_id)
    still_covered = PolicyException.objects.filter(
        state=State.APPROVED, target=Target.FINDING, finding__isnull=False
    ).exclude(pk=exception.pk)
    findings = findings.exclude(pk__in=still_covered.values("finding_id"))
    covered_rules = (
        PolicyException.objects.filter(
            project_id=exception.project_id, target=Target.RULE, state=State.APPROVED
        )
        .exclude(pk=exception.pk)
        .values_list("tool", "rule_id")
    )
    for tool, rule_id in covered_rules:
        findings = findings.exclude(Q(tool=tool) & Q(rule_id=rule_id))
    ids = list(findings.values_list("pk", flat=True))
    if not ids:
        return
    Finding.objects.filter(pk__in=ids).update(
        status=str(Finding.Status.OPEN), status_changed_at=now, reopened_at=now, updated_at=now
    )
    FindingComment.objects.bulk_create(
        [FindingComment(finding_id=pk, body=why) for pk in ids], batch_size=500
    )
    announce_evidence_changed(sender=PolicyException, project_id=exception.project_id)


# --- legacy ---------------------------------------------------------------------------------
