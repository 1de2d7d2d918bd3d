"""The event types webhooks and chat channels subscribe to (the `type` of a webhook payload)."""

AUDIT_COMPLETED = "audit.completed"
SCORES_CHANGED = "scores.changed"
GATE_CHANGED = "gate.changed"
REGRESSION_FOUND = "regression.found"
SLA_BREACHED = "finding.sla_breached"
EXCEPTION_EXPIRING = "exception.expiring"
TEST = "webhook.test"

EVENT_CHOICES = [
    (AUDIT_COMPLETED, "Audit completed"),
    (SCORES_CHANGED, "Score changed"),
    (GATE_CHANGED, "Gate verdict changed"),
    (REGRESSION_FOUND, "Regression found by a re-scan"),
    (SLA_BREACHED, "Finding SLA breached"),
    (EXCEPTION_EXPIRING, "Exception expiring"),
    (TEST, "Test event"),
]
SUBSCRIBABLE = [choice for choice in EVENT_CHOICES if choice[0] != TEST]
