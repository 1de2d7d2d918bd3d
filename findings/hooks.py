"""Extension points the floors above findings plug into, so findings never imports them.

- A *closure request*: closing a finding as accepted risk or false positive is a decision that
  needs a second person (governance exceptions). The admin form and the spreadsheet triage call
  `request_closure` instead of writing the status; the handler registered by the app above
  records the request. With no handler registered the status cannot be set that way at all.
- *After import*: called inside the import's transaction, once the findings of the report are
  written, with the project id; governance applies the project's approved rule exceptions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from findings.models import Finding

# The statuses a person may only reach through an approved exception.
CLOSED_BY_DECISION = (str(Finding.Status.ACCEPTED_RISK), str(Finding.Status.FALSE_POSITIVE))

ClosureHandler = Callable[..., Any]
AfterImportHook = Callable[[int], object]

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


def after_import(project_id: int) -> None:
    for hook in _after_import_hooks:
        hook(project_id)
