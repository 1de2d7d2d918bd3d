"""Signals of re-scans, for the apps above (webhooks). Each is sent once the transaction that
recorded the run has committed.

`regression_found`: a completed re-scan found a regression (the moment its regression mail is
due, whether or not anyone has an address). kwargs: `project`, `audit`, `run` (the RescanRun),
`summary` = {"new": {severity: count}, "reopened": {severity: count}} with severity words
("critical", "high", "medium", "low", "info"), only the severities that occur.
"""

from __future__ import annotations

from django.dispatch import Signal

regression_found = Signal()
