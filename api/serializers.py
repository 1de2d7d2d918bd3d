# mypy: disallow-subclassing-any=False, disallow-untyped-decorators=False
# (Django REST Framework and django-filter ship no types: their classes are Any to mypy.)
"""What the API shows of each object, and the bodies its writes accept."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from checklists.models import Checklist, ChecklistItem, EvidenceFile, ItemState
from findings import sla
from findings.models import Finding, FindingComment, ImportRun, Severity
from governance.models import PolicyException, Reason
from projects.models import AUDIT_METRIC_FIELDS, Audit, DomainScore, Project
from rescans.models import RescanRun
from scoring.levels import level_for
from scoring.models import ProjectSummary

SEVERITY_NAMES = {int(value): label.lower() for value, label in Severity.choices}


class Username(serializers.SlugRelatedField):
    """A user, shown and given as their username."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="username", read_only=True, **kwargs)


class ProjectSerializer(serializers.ModelSerializer):
    tech_lead = Username()

    class Meta:
        model = Project
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "tech_lead",
            "repository_url",
            "branch",
            "is_active",
            "scan_schedule",
            "next_scan_at",
            "created_at",
            "updated_at",
        ]


class AuditMetricsSerializer(serializers.ModelSerializer):
    class Meta:
        model = Audit
        fields = [*AUDIT_METRIC_FIELDS, "extra_metrics"]


class AuditSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    auditor = Username()
    metrics = AuditMetricsSerializer(source="*", read_only=True)

    class Meta:
        model = Audit
        fields = [
            "id",
            "project",
            "kind",
            "title",
            "version_label",
            "auditor",
            "audit_date",
            "commit_sha",
            "status",
            "stated_verdict",
            "computed_verdict",
            "summary",
            "valid_until",
            "is_self_attested",
            "global_score",
            "stated_global_score",
            "metrics",
            "unmeasured_domains",
            "warnings",
            "started_at",
            "finished_at",
            "created_at",
            "updated_at",
        ]


class EvidenceSerializer(serializers.Serializer):
    """One piece of evidence that moved a computed score."""

    kind = serializers.CharField(required=False)
    label = serializers.CharField(required=False)
    url = serializers.CharField(required=False, allow_blank=True)
    effect = serializers.CharField(required=False, allow_blank=True)


class DomainScoreSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(source="audit.project", slug_field="slug", read_only=True)
    domain = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    domain_name = serializers.CharField(source="domain.name", read_only=True)
    level = serializers.SerializerMethodField()
    rationale = serializers.CharField(read_only=True, help_text="Why: the score's rationale in words.")
    evidence = EvidenceSerializer(many=True, read_only=True, help_text="Why: the evidence that moved it.")

    class Meta:
        model = DomainScore
        fields = [
            "id",
            "audit",
            "project",
            "domain",
            "domain_name",
            "score",
            "level",
            "source",
            "rationale",
            "evidence",
            "formula_version",
            "updated_at",
        ]

    def get_level(self, obj: DomainScore) -> str:
        return level_for(obj.score).name


class FindingSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    domain = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    assignee = Username()
    severity = serializers.SerializerMethodField()
    sla_state = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "id",
            "project",
            "title",
            "description",
            "severity",
            "confidence",
            "domain",
            "status",
            "status_changed_at",
            "tool",
            "rule_id",
            "cwe",
            "file_path",
            "line",
            "recommendation",
            "effort",
            "assignee",
            "fingerprint",
            "first_seen_at",
            "last_seen_at",
            "fixed_at",
            "sla_due_at",
            "sla_state",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=list(SEVERITY_NAMES.values())))
    def get_severity(self, obj: Finding) -> str:
        return SEVERITY_NAMES[int(obj.severity)]

    @extend_schema_field(serializers.ChoiceField(choices=list(sla.STATE_LABELS)))
    def get_sla_state(self, obj: Finding) -> str:
        return sla.finding_state(obj)


class FindingTriageSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Finding.Status.choices,
        required=False,
        help_text="accepted_risk and false_positive request an exception (pending; the status "
        "changes once someone else approves it).",
    )
    assignee = serializers.CharField(
        required=False, allow_null=True, help_text="A username, or null to unassign."
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text="The justification of a requested exception.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "status" not in attrs and "assignee" not in attrs:
            raise serializers.ValidationError("Send a status, an assignee, or both.")
        return attrs


class FindingTriageResultSerializer(serializers.Serializer):
    finding = FindingSerializer()
    exception = serializers.IntegerField(
        allow_null=True, help_text="The pending exception a closing status asked for, if any."
    )


class CommentSerializer(serializers.ModelSerializer):
    author = Username()

    class Meta:
        model = FindingComment
        fields = ["id", "author", "body", "internal", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class ExceptionSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    requested_by = Username()
    approved_by = Username()
    decided_by = Username()

    class Meta:
        model = PolicyException
        fields = [
            "id",
            "project",
            "target",
            "finding",
            "checklist_item",
            "tool",
            "rule_id",
            "reason",
            "justification",
            "state",
            "requested_by",
            "approved_by",
            "decided_by",
            "decided_at",
            "expires_on",
            "end_note",
            "created_at",
        ]


class ExceptionRequestSerializer(serializers.Serializer):
    """Exactly one target: a finding, a checklist item, or a project with a tool and rule id."""

    finding = serializers.IntegerField(required=False, min_value=1)
    checklist_item = serializers.IntegerField(required=False, min_value=1)
    project = serializers.SlugField(required=False, help_text="Rule exceptions: the project's slug.")
    tool = serializers.CharField(required=False, allow_blank=True, max_length=100)
    rule_id = serializers.CharField(required=False, allow_blank=True, max_length=200)
    reason = serializers.ChoiceField(choices=Reason.choices)
    justification = serializers.CharField(max_length=5000)
    expires_on = serializers.DateField(required=False, allow_null=True)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ChecklistSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    template = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = Username()
    items_total = serializers.IntegerField(read_only=True)
    items_done = serializers.IntegerField(read_only=True)
    items_applicable = serializers.IntegerField(read_only=True)

    class Meta:
        model = Checklist
        fields = [
            "id",
            "project",
            "audit",
            "template",
            "template_version",
            "title",
            "owner",
            "due_date",
            "items_total",
            "items_done",
            "items_applicable",
            "created_at",
            "updated_at",
        ]


class EvidenceFileSerializer(serializers.ModelSerializer):
    uploaded_by = Username()

    class Meta:
        model = EvidenceFile
        fields = ["revision", "original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]


class ChecklistItemSerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    checked_by = Username()
    evidence_files = EvidenceFileSerializer(many=True, read_only=True)

    class Meta:
        model = ChecklistItem
        fields = [
            "id",
            "checklist",
            "order",
            "section",
            "text",
            "guidance",
            "is_critical",
            "domain",
            "state",
            "note",
            "evidence_url",
            "evidence_files",
            "answer_source",
            "carried",
            "checked_by",
            "checked_at",
        ]


class ChecklistItemAnswerSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ItemState.choices, required=False)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=10_000, help_text="Needed to mark it not applicable."
    )
    evidence_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    evidence_file = serializers.FileField(
        required=False, help_text="A file kept as a new evidence revision (multipart/form-data)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send a state, a note, an evidence_url or an evidence_file.")
        return attrs


class ImportRunSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user = Username()

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "project",
            "audit",
            "user",
            "token",
            "format",
            "tool",
            "file_name",
            "sha256",
            "status",
            "error_message",
            "created_count",
            "still_open_count",
            "reopened_count",
            "resolved_count",
            "unchanged_closed_count",
            "error_count",
            "total",
            "processed",
            "duration_ms",
            "metrics",
            "created_at",
        ]


class RescanSerializer(serializers.ModelSerializer):
    audit = serializers.IntegerField(source="audit_id", read_only=True)
    project = serializers.SlugRelatedField(source="audit.project", slug_field="slug", read_only=True)
    audit_status = serializers.CharField(source="audit.status", read_only=True)

    class Meta:
        model = RescanRun
        fields = [
            "audit",
            "project",
            "audit_status",
            "state",
            "reason",
            "force",
            "requested_at",
            "requested_by",
            "outcome",
            "error",
            "parts",
            "missing",
            "duration_s",
            "change",
        ]


class RescanRequestSerializer(serializers.Serializer):
    force = serializers.BooleanField(
        required=False, default=False, help_text="Scan even if the commit and configuration did not change."
    )


class PortfolioSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    level = serializers.SerializerMethodField()

    class Meta:
        model = ProjectSummary
        fields = [
            "project",
            "project_name",
            "latest_audit",
            "latest_audit_date",
            "valid_until",
            "global_score",
            "level",
            "previous_global_score",
            "score_change",
            "computed_verdict",
            "history",
            "domain_scores",
            "open_critical",
            "open_high",
            "open_medium",
            "open_low",
            "open_info",
            "checklist_done",
            "checklist_applicable",
            "checklist_percent",
            "refreshed_at",
        ]

    def get_level(self, obj: ProjectSummary) -> str:
        return level_for(obj.global_score).name
