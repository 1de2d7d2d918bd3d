"""Finding export and import (CSV, XLSX, JSON) for bulk triage in a spreadsheet.

Export: every text cell that a spreadsheet would run as a formula (starting with =, +, -, @,
tab or carriage return) is prefixed with an apostrophe, and characters a spreadsheet cannot hold
are replaced (projects.spreadsheets). Import: updates existing findings of
the user's projects only, matched by id; a row naming an unknown id, another project's finding,
or an unknown status / severity / user is a row error, and then nothing from the file is
imported. Only triage columns are read (tech leads: status and assignee; auditors and admins
also severity, effort and recommendation); the other columns are ignored.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from import_export import fields, resources, widgets

from findings import hooks, sla
from findings.models import Finding, FindingComment, Severity
from projects import access
from projects.spreadsheets import cell_id, clean_cell, escape_cell, unescape_formula

# One rule for every spreadsheet the application writes (projects.spreadsheets).
escape_formula = escape_cell


class ChoiceWidget(widgets.Widget):
    """A choice given by its value or its label (case-insensitive); anything else is an error."""

    def __init__(self, choices, label: str, *, integer: bool = False):
        super().__init__()
        self.choices = choices
        self.label = label
        self.integer = integer
        self.lookup = {}
        for value, text in choices:
            self.lookup[str(value).lower()] = value
            self.lookup[str(text).lower()] = value

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip().lower()
        if self.integer and text.endswith(".0"):
            text = text[:-2]
        if text not in self.lookup:
            allowed = ", ".join(str(label) for _value, label in self.choices)
            raise ValueError(f"{value!r} is not a {self.label} (expected one of: {allowed}).")
        return self.lookup[text]

    def render(self, value, obj=None, **kwargs):
        for choice, text in self.choices:
            if choice == value:
                return str(text)
        return "" if value is None else str(value)


class UserWidget(widgets.ForeignKeyWidget):
    def __init__(self):
        super().__init__(get_user_model(), field="username")

        # Users by name, read once per import for the whole file (FindingResource.before_import);
        # None: look each name up.
        self.known: dict[str, Any] | None = None

    def clean(self, value, row=None, **kwargs):
        value = (value or "").strip() if isinstance(value, str) else value
        if not value:
            return None
        if self.known is not None:
            if value not in self.known:
                raise ValueError(f"No user named {value!r}.")
            return self.known[value]
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(f"No user named {value!r}.") from None


class FindingResource(resources.ModelResource):
    project = fields.Field(attribute="project__slug", column_name="project", readonly=True)
    domain = fields.Field(attribute="domain__name", column_name="domain", readonly=True)
    severity = fields.Field(
        attribute="severity",
        column_name="severity",
        widget=ChoiceWidget(Severity.choices, "severity", integer=True),
    )
    status = fields.Field(
        attribute="status", column_name="status", widget=ChoiceWidget(Finding.Status.choices, "status")
    )
    assignee = fields.Field(attribute="assignee", column_name="assignee", widget=UserWidget())
    # The thread without its internal notes; read-only (an import never reads it).
    comments = fields.Field(column_name="comments", readonly=True)

    # Columns a tech lead may change; auditors and admins may also change the others below.
    TECH_LEAD_FIELDS = ("status", "assignee")
    AUDITOR_FIELDS = ("severity", "effort", "recommendation")

    class Meta:
        model = Finding
        fields = (
            "id",
            "project",
            "title",
            "severity",
            "status",
            "domain",
            "tool",
            "rule_id",
            "cwe",
            "file_path",
            "line",
            "assignee",
            "effort",
            "recommendation",
            "first_seen_at",
            "last_seen_at",
            "fingerprint",
            "comments",
        )
        export_order = fields
        import_id_fields = ("id",)
        skip_unchanged = True
        report_skipped = False
        use_transactions = True
        clean_model_instances = False

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        # Called with each row's number once it is done (an upload job's progress).
        self.on_row = None
        full = user is None or user.is_superuser or access.has_role(user, access.AUDITOR)
        self.editable = self.TECH_LEAD_FIELDS + (self.AUDITOR_FIELDS if full else ())

    def get_import_fields(self):
        return [
            field
            for field in super().get_import_fields()
            if field.column_name in self.editable or field.column_name == "id"
        ]

    def get_queryset(self):
        qs = Finding.objects.select_related("project", "domain", "assignee")
        if self.user is not None:
            qs = qs.filter(access.project_scope_q(self.user, "project"))
        return qs

    # --- export --------------------------------------------------------------------------
    def iter_queryset(self, queryset):
        # The comments of each chunk of findings in one query, not one query per finding.
        chunk: list[Finding] = []
        for finding in super().iter_queryset(queryset):
            chunk.append(finding)
            if len(chunk) >= self.get_chunk_size():
                yield from _with_public_comments(chunk)
                chunk = []
        yield from _with_public_comments(chunk)

    def dehydrate_comments(self, finding: Finding) -> str:
        thread = getattr(finding, "_public_comments", None)
        if thread is None:
            thread = _public_comments([finding.pk]).get(finding.pk, [])
        return "\n".join(thread)

    def export_field(self, field, instance, **kwargs):
        return escape_formula(super().export_field(field, instance, **kwargs))

    # --- import --------------------------------------------------------------------------
    # The file's findings and users are read in one query each (per PREFETCH_CHUNK ids) before
    # its rows, not one lookup per row; each changed finding is still saved on its own, so the
    # audit trail records its before -> after.
    PREFETCH_CHUNK = 2000

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        headers = dataset.headers or []
        self._findings: dict[int, Finding] | None = None
        if "id" in headers:
            ids = sorted({pk for pk in map(_row_id, dataset["id"]) if pk is not None})
            self._findings = {}
            for start in range(0, len(ids), self.PREFETCH_CHUNK):
                chunk = ids[start : start + self.PREFETCH_CHUNK]
                self._findings.update((f.pk, f) for f in self.get_queryset().filter(pk__in=chunk))
        widget = self.fields["assignee"].widget
        widget.known = None
        if "assignee" in headers and "assignee" in self.editable:
            names = {clean_cell(unescape_formula(v)) for v in dataset["assignee"]}
            names = {n.strip() for n in names if isinstance(n, str) and n.strip()}
            widget.known = {u.username: u for u in get_user_model().objects.filter(username__in=names)}

    def get_instance(self, instance_loader, row):
        findings = getattr(self, "_findings", None)
        if findings is None:
            return super().get_instance(instance_loader, row)
        return findings.get(row.get("id"))

    def import_data(self, dataset, *args, **kwargs):
        # All or nothing: one invalid row and no row of the file is written.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, *args, **kwargs)

    def before_import_row(self, row, **kwargs):
        for key in list(row.keys()):
            row[key] = clean_cell(unescape_formula(row[key]))
        raw_id = row.get("id")
        if not str(raw_id if raw_id is not None else "").strip():
            raise ValidationError("Row has no id: this import only updates existing findings.")
        finding_id = cell_id(raw_id)
        if finding_id is None:
            raise ValidationError(f"The id {str(raw_id)[:40]!r} is not a finding id (a whole number).")
        row["id"] = finding_id

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        if self.on_row is not None:
            self.on_row(kwargs.get("row_number") or 0)

    def init_instance(self, row=None):
        raise ValidationError(
            f"No finding with id {row.get('id')!r} in your projects (this import only updates "
            "existing findings)."
        )

    def import_instance(self, instance, row, **kwargs):
        old_status, old_severity = instance.status, instance.severity
        super().import_instance(instance, row, **kwargs)
        if instance.status != old_status and instance.status in hooks.CLOSED_BY_DECISION:
            # Accepted risk and false positive need an approved exception: the row asks for one
            # (pending) and the status stays as it was.
            requested, instance.status = instance.status, old_status
            try:
                hooks.request_closure(finding=instance, status=requested, user=self.user)
            except hooks.ClosureRefused as exc:
                raise ValidationError(f"Finding {instance.pk}: {exc}") from None
        if instance.status != old_status:
            now = timezone.now()
            instance.status_changed_at = now
            if instance.status == Finding.Status.FIXED:
                instance.fixed_at = now
            elif old_status == Finding.Status.FIXED:
                instance.fixed_at = None
            sla.record_status_change(instance, old_status, now)
        if instance.severity != old_severity:
            sla.fill(instance)


def _row_id(value: Any) -> int | None:
    """The finding id of a cell of the id column, read as before_import_row reads it."""
    return cell_id(clean_cell(unescape_formula(value)))


def _public_comments(finding_ids: list[int]) -> dict[int, list[str]]:
    threads: dict[int, list[str]] = {}
    rows = (
        FindingComment.objects.filter(finding_id__in=finding_ids, internal=False)
        .order_by("finding_id", "created_at", "id")
        .values_list("finding_id", "author__username", "created_at", "body")
    )
    for finding_id, author, created_at, body in rows:
        threads.setdefault(finding_id, []).append(
            f"{author or 'auditor'} {created_at:%Y-%m-%d %H:%M}: {body}"
        )
    return threads


def _with_public_comments(findings: list[Finding]):
    threads = _public_comments([f.pk for f in findings]) if findings else {}
    for finding in findings:
        finding._public_comments = threads.get(finding.pk, [])
        yield finding
