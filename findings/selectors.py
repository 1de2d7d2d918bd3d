"""Reads of findings for pages."""

from __future__ import annotations

from collections import defaultdict

from findings.models import FindingComment

COMMENTS_SHOWN = 20  # per finding on a page; the admin holds the whole thread


def comments_by_finding(finding_ids: list[int]) -> dict[int, list[FindingComment]]:
    """The latest comments of each finding, oldest first, in one query."""
    threads: dict[int, list[FindingComment]] = defaultdict(list)
    if not finding_ids:
        return threads
    rows = (
        FindingComment.objects.filter(finding_id__in=finding_ids)
        .select_related("author")
        .order_by("finding_id", "-created_at", "-id")
    )
    for comment in rows:
        if len(threads[comment.finding_id]) < COMMENTS_SHOWN:
            threads[comment.finding_id].append(comment)
    return {pk: list(reversed(thread)) for pk, thread in threads.items()}
