"""What governance announces to the apps above it (webhooks, integrations), once a day, from the
daily expiry run (`governance.expire_exceptions`, see `governance/announcements.py`). Both are
sent after commit, never from a rolled-back transaction.

- `sla_breached`: kwargs `project` and `findings` (list of Finding): the open findings of one
  project whose SLA due date passed during the day before (the same findings as the digest).
- `exception_expiring`: kwargs `exception` (PolicyException) and `days_left` (int): an approved
  exception expiring in exactly one of EXCEPTION_REMINDER_DAYS days (30, 7 and 1 by default).
"""

from __future__ import annotations

from django.dispatch import Signal

sla_breached = Signal()
exception_expiring = Signal()
