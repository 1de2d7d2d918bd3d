"""Assertions shared by the hostile-input tests."""

from __future__ import annotations

from django.http import StreamingHttpResponse

from checklists.models import ChecklistItem, ChecklistTemplate, ChecklistTemplateItem
from findings.models import Finding, ImportRun
from projects.models import Audit, DomainScore, MaturityDomain, Project

TRACEBACK_MARKERS = ("Traceback (most recent call last)", "Internal Server Error", 'File "/')


def body(response) -> str:
    if isinstance(response, StreamingHttpResponse):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", "replace")


def assert_no_crash(response) -> str:
    """No 500 and no traceback; returns the response text."""
    text = body(response)
    assert response.status_code < 500, text[:500]
    for marker in TRACEBACK_MARKERS:
        assert marker not in text
    return text


def db_state() -> tuple:
    """Everything a refused input could have changed."""
    return (
        list(
            Finding.objects.order_by("pk").values_list(
                "pk", "title", "status", "severity", "assignee", "line"
            )
        ),
        list(ImportRun.objects.order_by("pk").values_list("pk", "status")),
        list(
            Audit.objects.order_by("pk").values_list(
                "pk", "title", "audit_date", "valid_until", "tests_passed", "extra_metrics"
            )
        ),
        list(Project.objects.order_by("pk").values_list("pk", "name", "enabled_scanners", "next_scan_at")),
        list(ChecklistTemplateItem.objects.order_by("pk").values_list("pk", "template", "order", "text")),
        list(ChecklistTemplate.objects.order_by("pk").values_list("pk", "slug", "version")),
        list(ChecklistItem.objects.order_by("pk").values_list("pk", "state", "note")),
        list(MaturityDomain.objects.order_by("pk").values_list("pk", "aliases", "weight")),
        list(DomainScore.objects.order_by("pk").values_list("pk", "score")),
    )
