"""Outgoing webhooks, chat digests, README badges and the CI gate (issue 17)."""
