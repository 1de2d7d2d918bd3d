# mypy: disallow-subclassing-any=False, disallow-untyped-decorators=False
# (Django REST Framework and django-filter ship no types: their classes are Any to mypy.)
"""Read endpoints (projects, audits, scores, import runs, re-scans, the portfolio) and the
re-scan request. Findings, exceptions and checklists are in views_triage.py."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from kombu.exceptions import OperationalError as BrokerUnavailable
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api import filters, serializers
from api.base import ScopedViewSet
from api.errors import Conflict
from findings.models import ImportRun
from projects import access
from projects.models import Audit, DomainScore, Project
from rescans.models import RescanRun
from rescans.services import project_rescan_request
from scoring.models import ProjectSummary


class Unavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Try again later."


@extend_schema(tags=["projects"])
class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Projects you may see (tech leads: theirs; other roles: all)."""

    base_queryset = Project.objects.select_related("tech_lead")
    scope_prefix = ""
    serializer_class = serializers.ProjectSerializer
    lookup_field = "slug"
    lookup_value_converter = "slug"
    ordering_fields = ["name", "slug", "created_at", "id"]
    ordering = "name"

    @extend_schema(
        request=serializers.RescanRequestSerializer,
        responses={
            202: serializers.RescanSerializer,
            400: OpenApiResponse(description="The project has no repository."),
            409: OpenApiResponse(description="A re-scan is already queued or running."),
        },
        summary="Start a re-scan",
    )
    @action(detail=True, methods=["post"], url_path="rescan")
    def rescan(self, request: Request, slug: str | None = None) -> Response:
        """Queue a re-scan of the project (tech lead of the project, auditor, admin)."""
        project = self.get_object()
        if not access.can_rescan(request.user, project):
            raise PermissionDenied("Your role may not start re-scans of this project.")
        body = serializers.RescanRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not project.repository_url:
            raise ValidationError({"project": ["This project has no repository to scan."]})
        try:
            audit = project_rescan_request(
                project_id=project.pk, user=request.user, force=body.validated_data["force"], reason="manual"
            )
        except BrokerUnavailable:
            raise Unavailable("The task queue is unavailable: nothing was queued; try again later.") from None
        if audit is None:
            raise Conflict(
                "A re-scan of this project is already queued or running; it was not started again."
            )
        run = RescanRun.objects.select_related("audit__project").get(pk=audit.pk)
        return Response(serializers.RescanSerializer(run).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["audits"])
class AuditViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Audits with their metrics (tests, coverage, security counts, size)."""

    base_queryset = Audit.objects.select_related("project", "auditor")
    serializer_class = serializers.AuditSerializer
    filterset_class = filters.AuditFilter
    ordering_fields = ["audit_date", "id", "global_score", "created_at"]
    ordering = "-id"


@extend_schema(tags=["scores"])
class DomainScoreViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Domain scores of audits, with their "why": the rationale and the evidence that moved them."""

    base_queryset = DomainScore.objects.select_related("audit__project", "domain")
    scope_prefix = "audit__project"
    serializer_class = serializers.DomainScoreSerializer
    filterset_class = filters.DomainScoreFilter
    ordering_fields = ["id", "score", "updated_at"]
    ordering = "-id"


@extend_schema(tags=["imports"])
class ImportRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Scanner report imports and what each changed."""

    base_queryset = ImportRun.objects.select_related("project", "user")
    serializer_class = serializers.ImportRunSerializer
    filterset_class = filters.ImportRunFilter
    ordering_fields = ["created_at", "id"]
    ordering = "-id"


@extend_schema(tags=["rescans"])
class RescanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Re-scan runs, by the id of their automated audit. Start one with POST /projects/{slug}/rescan/."""

    base_queryset = RescanRun.objects.select_related("audit__project")
    scope_prefix = "audit__project"
    serializer_class = serializers.RescanSerializer
    filterset_class = filters.RescanFilter
    ordering_fields = ["requested_at", "audit"]
    ordering = "-audit"


@extend_schema(tags=["portfolio"])
class PortfolioViewSet(mixins.ListModelMixin, ScopedViewSet):
    """The portfolio: one row per project (latest scores, open findings, checklist progress)."""

    base_queryset = ProjectSummary.objects.select_related("project")
    serializer_class = serializers.PortfolioSerializer
    filterset_class = filters.PortfolioFilter
    ordering_fields = ["project", "global_score", "latest_audit_date", "open_critical"]
    ordering = "project"
