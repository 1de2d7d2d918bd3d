"""Re-audits: a new audit whose checklists start from the previous audit's answers, and the
diff of a checklist against the one it was carried from.

Each checklist of the previous audit is started again from its template's current version (a
checklist without template is copied item by item). An item that matches a previous one (the
same template item, else the same section and text, else the same text) gets its answer, note
and link, marked "carried, to re-confirm": it counts for neither progress nor scores until
someone confirms or changes it. Its latest evidence file comes along as the new item's first
revision, unless the answer's evidence expired (`evidence_expires_on` before today): then the
link and files stay behind and the note says so. Items the template gained start "to do".
Items with an evidence rule are then answered from evidence where it decides.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from checklists.answers import evidence_answer_items
from checklists.item_changes import item_copy, schedule_project_recompute
from checklists.models import Checklist, ChecklistItem, ChecklistTemplate, EvidenceFile, ItemState
from projects import access
from projects.models import Audit

REAUDIT_DUE_DAYS = 14


def _key(section: str, text: str) -> tuple[str, str]:
    return (" ".join(section.split()).casefold(), " ".join(text.split()).casefold())


def previous_audit(project) -> Audit | None:
    """The project's latest audit that has checklists."""
    return (
        Audit.objects.filter(project=project)
        .filter(Exists(Checklist.objects.filter(audit=OuterRef("pk"))))
        .order_by("-audit_date", "-id")
        .first()
    )


class _Matcher:
    """Finds the previous item a new one continues; each previous item is used once."""

    def __init__(self, previous: list[ChecklistItem]):
        self.by_template: dict[int, ChecklistItem] = {}
        self.by_key: dict[tuple[str, str], ChecklistItem] = {}
        self.by_text: dict[str, ChecklistItem] = {}
        for item in previous:
            if item.template_item_id is not None:
                self.by_template.setdefault(item.template_item_id, item)
            self.by_key.setdefault(_key(item.section, item.text), item)
            self.by_text.setdefault(_key("", item.text)[1], item)
        self.used: set[int] = set()

    def find(self, *, template_item_id: int | None, section: str, text: str) -> ChecklistItem | None:
        for candidate in (
            self.by_template.get(template_item_id) if template_item_id is not None else None,
            self.by_key.get(_key(section, text)),
            self.by_text.get(_key("", text)[1]),
        ):
            if candidate is not None and candidate.pk not in self.used:
                self.used.add(candidate.pk)
                return candidate
        return None


def _carry(new: ChecklistItem, old: ChecklistItem | None, *, today: dt.date) -> bool:
    """Copy the previous answer onto a new (unsaved) item; True when its evidence comes along."""
    if old is None:
        return False
    new.carried_from = old
    new.state = old.state
    new.note = old.note
    new.checked_by_id = old.checked_by_id
    new.checked_at = old.checked_at
    new.carried = old.state != ItemState.TODO
    if old.evidence_expires_on is not None and old.evidence_expires_on < today:
        if old.evidence_url or old.evidence_files_count:
            expired = (
                f"Evidence expired on {old.evidence_expires_on:%Y-%m-%d}: not carried; attach new evidence."
            )
            new.note = f"{new.note}\n{expired}".strip()
        return False
    new.evidence_url = old.evidence_url
    new.evidence_expires_on = old.evidence_expires_on
    return True


def _new_items(
    previous: Checklist, checklist: Checklist, template: ChecklistTemplate | None
) -> list[ChecklistItem]:
    sources = template.items if template is not None else previous.items
    return [item_copy(source, checklist=checklist) for source in sources.order_by("order", "id")]


def _restart(previous: Checklist, *, audit: Audit, today: dt.date) -> Checklist:
    template = None
    if previous.template_id is not None:
        template = ChecklistTemplate.objects.select_for_update().get(pk=previous.template_id)
    checklist = Checklist.objects.create(
        project_id=previous.project_id,
        audit=audit,
        template=template,
        template_version=template.version if template else None,
        title=previous.title,
        owner_id=previous.owner_id or audit.project.tech_lead_id,
        due_date=today + dt.timedelta(days=REAUDIT_DUE_DAYS),
        previous=previous,
    )
    old_items = list(previous.items.all())
    latest_files = {}
    for row in EvidenceFile.objects.filter(item__checklist=previous).order_by("item_id", "-revision"):
        latest_files.setdefault(row.item_id, row)
    for old in old_items:
        old.evidence_files_count = 1 if old.pk in latest_files else 0
    matcher = _Matcher(old_items)
    news = _new_items(previous, checklist, template)
    keep_evidence = []
    for new in news:
        old = matcher.find(template_item_id=new.template_item_id, section=new.section, text=new.text)
        if _carry(new, old, today=today) and old.pk in latest_files:
            keep_evidence.append((new, latest_files[old.pk]))
    ChecklistItem.objects.bulk_create(news)
    EvidenceFile.objects.bulk_create(
        EvidenceFile(
            item=new,
            revision=1,
            file=row.file.name,
            original_name=row.original_name,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            uploaded_by_id=row.uploaded_by_id,
            carried_from=row,
        )
        for new, row in keep_evidence
    )
    return checklist


def start_audit_from_previous(project, *, user) -> Audit:
    """A new audit of the project whose checklists carry the previous audit's answers (see the
    module docstring). Needs `checklists.add_checklist` and access to the project."""
    if not user.is_authenticated or not user.has_perm("checklists.add_checklist"):
        raise PermissionDenied("You may not start checklists.")
    if not access.can_see_project(user, project):
        raise PermissionDenied("You do not work on this project.")
    today = timezone.localdate()
    with transaction.atomic():
        previous = previous_audit(project)
        if previous is None:
            raise ValidationError(
                f"{project} has no earlier audit with checklists to start from: start its checklists "
                "from a template instead."
            )
        audit = Audit.objects.create(
            project=project,
            kind=Audit.Kind.MANUAL,
            title=f"Re-audit {today:%Y-%m-%d}",
            auditor=user,
            audit_date=today,
            status=Audit.Status.IN_PROGRESS,
            summary=f"Started from the previous audit: {previous}.",
        )
        checklists = [
            _restart(old, audit=audit, today=today)
            for old in previous.checklists.select_related("template").order_by("id")
        ]
        evidence_answer_items(
            ChecklistItem.objects.filter(checklist__in=checklists).exclude(evidence_rule="")
        )
        schedule_project_recompute(project_id=project.pk)
    return audit


# --- Diff ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffEntry:
    item: ChecklistItem | None  # None for a removed item
    previous: ChecklistItem | None  # None for a new item
    previous_state: str | None
    state: str | None


@dataclass
class ChecklistDiff:
    """A checklist against the one it was carried from."""

    previous: Checklist | None
    new: list[DiffEntry] = field(default_factory=list)  # the template gained them
    changed: list[DiffEntry] = field(default_factory=list)  # another answer, not a regression
    regressions: list[DiffEntry] = field(default_factory=list)  # done before, to do now
    unchanged: list[DiffEntry] = field(default_factory=list)
    removed: list[DiffEntry] = field(default_factory=list)  # the template dropped them

    def counts(self) -> dict[str, int]:
        return {
            name: len(getattr(self, name))
            for name in ("new", "changed", "regressions", "unchanged", "removed")
        }


def checklist_diff(checklist: Checklist) -> ChecklistDiff:
    """Compare each item's current answer with the previous audit's. Two queries."""
    diff = ChecklistDiff(previous=checklist.previous)
    items = list(checklist.items.select_related("carried_from").order_by("order", "id"))
    seen: set[int] = set()
    for item in items:
        old = item.carried_from
        if old is None:
            diff.new.append(DiffEntry(item, None, None, item.state))
            continue
        seen.add(old.pk)
        entry = DiffEntry(item, old, old.state, item.state)
        if old.state == item.state:
            diff.unchanged.append(entry)
        elif old.state == ItemState.DONE and item.state == ItemState.TODO:
            diff.regressions.append(entry)
        else:
            diff.changed.append(entry)
    if checklist.previous_id is not None:
        for old in ChecklistItem.objects.filter(checklist_id=checklist.previous_id).exclude(pk__in=seen):
            diff.removed.append(DiffEntry(None, old, old.state, None))
    return diff
