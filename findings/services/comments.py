"""Comments on findings: the thread of notes, @mentions that add watchers."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from findings.importers.base import clean_text
from findings.models import Finding, FindingComment
from projects import access

COMMENT_MAX_CHARS = 10_000
MENTION_RE = re.compile(r"(?<![\w.@])@([\w.+-]{1,150})")


def comment_add(*, finding: Finding, author, body: str, internal: bool = False) -> FindingComment:
    """Add a note to a finding's thread. Every @username of someone who may see the project adds
    them to the finding's watchers (their daily digest lists its new comments and its breach).
    Raises ValidationError naming the problem; nothing is written then."""
    text = clean_text(body or "").strip()
    if not text:
        raise ValidationError({"body": "A comment needs some text."})
    if len(text) > COMMENT_MAX_CHARS:
        raise ValidationError({"body": f"A comment holds at most {COMMENT_MAX_CHARS:,} characters."})
    with transaction.atomic():
        comment = FindingComment.objects.create(
            finding=finding,
            author=author if getattr(author, "pk", None) else None,
            body=text,
            internal=internal,
        )
        mentioned = mentioned_users(text)
        visible = [user for user in mentioned if access.can_see_project(user, finding.project)]
        if visible:
            finding.watchers.add(*visible)
    return comment


def mentioned_users(text: str) -> list:
    names = {name.rstrip(".") for name in MENTION_RE.findall(text)}
    if not names:
        return []
    return list(get_user_model().objects.filter(username__in=names, is_active=True))
