"""Extension points the floors above findings plug into, so findings never imports them.

- A *closure request*: closing a finding as accepted risk or false positive is a decision that
  needs a second person (governance exceptions). The admin form and the spreadsheet triage call
  `request_closure` instead of writing the status; the handler registered by the app above
  records the request. With no handler registered the status cannot be set that way at all.
- *After import*: called inside the import's transaction, once the findings of the report are
  written, with the project id and the file's *claims*: the findings a scanner file says the
  team suppressed (SARIF `suppressions`) or a Markdown report states as accepted risk or false
  positive. The import never closes them itself (they stay open and count as open); governance
  applies the project's approved rule exceptions and turns each claim into a pending exception
  that someone else must approve.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from findings.models import Finding

# The statuses a person may only reach through an approved exception.
CLOSED_BY_DECISION = (str(Finding.Status.ACCEPTED_RISK), str(Finding.Status.FALSE_POSITIVE))

ClosureHandler = Callable[..., Any]
AfterImportHook = Callable[..., object]

# Where a claim comes from.
SUPPRESSED_IN_SCAN = "suppression"
STATED_IN_REPORT = "report"


@dataclass(frozen=True)
class ClosureClaim:
    """A file's claim that a finding should not count: `status` is accepted risk or false
    positive, `origin` SUPPRESSED_IN_SCAN or STATED_IN_REPORT, `source` names the file."""

    fingerprint: str
    status: str
    origin: str
    source: str = ""


_closure_handlers: list[ClosureHandler] = []
_after_import_hooks: list[AfterImportHook] = []


class ClosureRefused(Exception):
    """A closure request that cannot be recorded; the message says why."""


def register_closure_handler(handler: ClosureHandler) -> None:
    if handler not in _closure_handlers:
        _closure_handlers.append(handler)


def register_after_import(hook: AfterImportHook) -> None:
    if hook not in _after_import_hooks:
        _after_import_hooks.append(hook)


def request_closure(*, finding: Finding, status: str, user: Any, note: str = "") -> Any:
    """Ask for `finding` to be closed as `status` (accepted risk or false positive). Returns what
    the handler recorded (a pending exception). Raises ClosureRefused when nothing can record it."""
    if status not in CLOSED_BY_DECISION:
        raise ClosureRefused(f"{status!r} is not a status that needs a decision.")
    if not _closure_handlers:
        raise ClosureRefused(
            "Closing a finding as accepted risk or false positive needs an approved exception."
        )
    return _closure_handlers[0](finding=finding, status=status, user=user, note=note)


def after_import(project_id: int, *, claims: Sequence[ClosureClaim] = (), user_id: int | None = None) -> None:
    """Called by every import once its findings are written (inside its transaction).
    `user_id` is who imported (None for a token, the command line or a re-scan)."""
    for hook in _after_import_hooks:
        hook(project_id, claims=claims, user_id=user_id)
