# mypy: disallow-subclassing-any=False, disallow-untyped-decorators=False
# (Django REST Framework and django-filter ship no types: their classes are Any to mypy.)
"""Findings (read, triage, comments), exceptions (request and decisions) and checklists (items
answered with their evidence). Every write goes through the owning app's services."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from api import filters, serializers
from api.base import ScopedViewSet, require_perm
from api.services import assignable_user
from checklists.models import Checklist, ChecklistItem, EvidenceFile, ItemState
from checklists.services import answer_item
from findings.models import Finding, FindingComment
from findings.services.comments import comment_add
from findings.services.triage import change_finding
from governance import services as governance
from governance.models import PolicyException
from projects import access


@extend_schema(tags=["findings"])
class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Findings. PATCH triages one: its status and assignee (tech lead of the project, auditor, admin)."""

    base_queryset = Finding.objects.select_related("project", "domain", "assignee")
    serializer_class = serializers.FindingSerializer
    filterset_class = filters.FindingFilter
    ordering_fields = ["id", "severity", "first_seen_at", "last_seen_at", "sla_due_at", "status_changed_at"]
    ordering = "-id"

    @extend_schema(
        request=serializers.FindingTriageSerializer,
        responses={200: serializers.FindingTriageResultSerializer},
        summary="Triage a finding",
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        finding = self.get_object()
        require_perm(request.user, "findings.change_finding", "change findings")
        body = serializers.FindingTriageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields: dict[str, Any] = {}
        if "status" in body.validated_data:
            fields["status"] = body.validated_data["status"]
        if "assignee" in body.validated_data:
            name = body.validated_data["assignee"]
            fields["assignee"] = assignable_user(name) if name else None
        exception = change_finding(
            finding, user=request.user, note=body.validated_data.get("note", ""), **fields
        )
        finding = self.base_queryset.get(pk=finding.pk)
        return Response(
            {
                "finding": serializers.FindingSerializer(finding).data,
                "exception": exception.pk if exception is not None else None,
            }
        )

    @extend_schema(
        methods=["GET"],
        responses={200: serializers.CommentSerializer(many=True)},
        summary="A finding's comments",
    )
    @extend_schema(
        methods=["POST"],
        request=serializers.CommentSerializer,
        responses={201: serializers.CommentSerializer},
        summary="Comment on a finding",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None, ordering=None)
    def comments(self, request: Request, pk: str | None = None) -> Response:
        """The finding's thread (oldest first); POST adds a comment (whoever may change the finding)."""
        finding = self.get_object()
        if request.method == "GET":
            thread = (
                FindingComment.objects.filter(finding=finding)
                .select_related("author")
                .order_by("created_at", "id")
            )
            return Response(serializers.CommentSerializer(thread, many=True).data)
        require_perm(request.user, "findings.change_finding", "comment on findings")
        body = serializers.CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = comment_add(
            finding=finding,
            author=request.user,
            body=body.validated_data["body"],
            internal=body.validated_data.get("internal", False),
        )
        return Response(serializers.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["exceptions"])
class ExceptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet
):
    """Exceptions (accepted risk, false positive, not applicable...). POST requests one (pending);
    approve and reject need the approval permission and someone other than the requester."""

    base_queryset = PolicyException.objects.select_related(
        "project", "requested_by", "approved_by", "decided_by"
    )
    serializer_class = serializers.ExceptionSerializer
    filterset_class = filters.ExceptionFilter
    ordering_fields = ["id", "created_at", "expires_on"]
    ordering = "-id"

    def _visible(self, queryset: QuerySet[Any], pk: int | None, field: str) -> Any:
        if pk is None:
            return None
        found = queryset.filter(pk=pk).first()
        if found is None:
            raise ValidationError({field: [f"No {field.replace('_', ' ')} {pk} in your projects."]})
        return found

    @extend_schema(
        request=serializers.ExceptionRequestSerializer,
        responses={201: serializers.ExceptionSerializer},
        summary="Request an exception",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        body = serializers.ExceptionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        finding = self._visible(
            Finding.objects.filter(access.project_scope_q(user, "project")).select_related("project"),
            data.get("finding"),
            "finding",
        )
        item = self._visible(
            ChecklistItem.objects.filter(access.project_scope_q(user, "checklist__project")).select_related(
                "checklist__project"
            ),
            data.get("checklist_item"),
            "checklist_item",
        )
        project = None
        if data.get("project"):
            project = access.visible_projects(user).filter(slug=data["project"]).first()
            if project is None:
                raise ValidationError({"project": [f"No project {data['project']!r} in your projects."]})
        require_perm(user, governance.REQUEST_PERMISSION, "request exceptions")
        exception = governance.exception_request(
            user=user,
            reason=data["reason"],
            justification=data["justification"],
            finding=finding,
            checklist_item=item,
            project=project,
            tool=data.get("tool", ""),
            rule_id=data.get("rule_id", ""),
            expires_on=data.get("expires_on"),
        )
        exception = self.base_queryset.get(pk=exception.pk)
        return Response(serializers.ExceptionSerializer(exception).data, status=status.HTTP_201_CREATED)

    def _decide(self, request: Request, decide: Any) -> Response:
        exception = self.get_object()
        body = serializers.DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decide(exception, body.validated_data.get("note", ""))
        exception = self.base_queryset.get(pk=exception.pk)
        return Response(serializers.ExceptionSerializer(exception).data)

    @extend_schema(request=serializers.DecisionSerializer, responses={200: serializers.ExceptionSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve a pending exception (four eyes: never your own request)."""
        return self._decide(
            request, lambda e, note: governance.exception_approve(exception=e, user=request.user)
        )

    @extend_schema(request=serializers.DecisionSerializer, responses={200: serializers.ExceptionSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Reject a pending exception."""
        return self._decide(
            request, lambda e, note: governance.exception_reject(exception=e, user=request.user, note=note)
        )

    @extend_schema(request=serializers.DecisionSerializer, responses={200: serializers.ExceptionSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """End a pending or approved exception: its requester withdraws it, or an approver ends it."""
        return self._decide(
            request, lambda e, note: governance.exception_revoke(exception=e, user=request.user, note=note)
        )


@extend_schema(tags=["checklists"])
class ChecklistViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Checklists with their progress."""

    base_queryset = Checklist.objects.select_related("project", "template", "owner").annotate(
        items_total=Count("items"),
        items_done=Count("items", filter=Q(items__state=ItemState.DONE)),
        items_applicable=Count("items", filter=~Q(items__state=ItemState.NOT_APPLICABLE)),
    )
    serializer_class = serializers.ChecklistSerializer
    filterset_class = filters.ChecklistFilter
    ordering_fields = ["id", "due_date", "created_at"]
    ordering = "-id"


@extend_schema(tags=["checklists"])
class ChecklistItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Checklist items. PATCH answers one: its state, note, evidence link and file (the tech lead
    of the project, admins)."""

    base_queryset = ChecklistItem.objects.select_related(
        "domain", "checked_by", "checklist__project"
    ).prefetch_related(
        Prefetch(
            "evidence_files", queryset=EvidenceFile.objects.select_related("uploaded_by").order_by("revision")
        )
    )
    scope_prefix = "checklist__project"
    serializer_class = serializers.ChecklistItemSerializer
    filterset_class = filters.ChecklistItemFilter
    ordering_fields = ["id", "order", "checked_at"]
    ordering = "id"
    # JSON, or multipart to attach an evidence file.
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        request=serializers.ChecklistItemAnswerSerializer,
        responses={200: serializers.ChecklistItemSerializer},
        summary="Answer a checklist item",
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_object()
        require_perm(request.user, "checklists.change_checklistitem", "answer checklist items")
        body = serializers.ChecklistItemAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        answer_item(
            item,
            user=request.user,
            state=data.get("state", item.state),
            note=data.get("note", ""),
            evidence_url=data.get("evidence_url", ""),
            evidence_file=data.get("evidence_file"),
        )
        return Response(serializers.ChecklistItemSerializer(self.base_queryset.get(pk=item.pk)).data)
