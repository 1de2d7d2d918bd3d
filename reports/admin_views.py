"""Admin upload form for Markdown reports: upload, preview what would be imported, confirm.

The preview is a dry run of `report_import`; between the preview and the confirmation the file
waits in the shared staging (`projects.staging`): the confirmation form carries its signed
token, so what is imported is exactly what was previewed, by the user who previewed it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from projects import access, staging
from projects.admin_mixins import record_as_html
from projects.models import Audit, Project
from projects.uploads import REPORT_LIMIT, upload_size_error
from reports.errors import ReportError
from reports.metrics import MetricValue
from reports.models import ReportSource
from reports.parser import SEVERITY_LABELS
from reports.services import ReportImportResult, report_import

# The audit admin this mixin completes (projects/admin.py adds ModelAdmin); the stubs' generic
# class only while type checking, as Django's takes no type arguments at run time.
if TYPE_CHECKING:
    _AuditAdminBase = admin.ModelAdmin[Audit]
else:
    _AuditAdminBase = object

Requester = User | AnonymousUser

STAGING_KIND = "reports.report"


class ReportUploadForm(forms.Form):
    report = forms.FileField(help_text="A Markdown audit report (.md or .txt), at most 1 MB.")
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(),
        required=False,
        help_text="Empty: the project the report names (matched by name).",
    )
    create_project = forms.BooleanField(
        required=False,
        help_text="Create the project the report names when it does not exist.",
    )

    def __init__(self, *args: Any, user: Requester, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        project_field = self.fields["project"]
        assert isinstance(project_field, forms.ModelChoiceField)  # declared above
        project_field.queryset = access.visible_projects(user).order_by("name")
        if not user.has_perm("projects.add_project"):
            del self.fields["create_project"]

    def clean_report(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["report"]
        assert upload.size is not None  # FileField refuses a file without a size
        if too_big := upload_size_error(upload.size, limit_setting=REPORT_LIMIT):
            raise forms.ValidationError(too_big)
        return upload


class ReportConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)

    def clean_payload(self) -> str:
        token: str = self.cleaned_data["payload"]
        try:
            staging.unsign(token, kind=STAGING_KIND)
        except staging.StagingError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return token


def _check_target(user: Requester, result: ReportImportResult) -> None:
    """The user may import only into projects they see, and create one only with the right."""
    target = result.project
    if target.pk is None:
        if not user.has_perm("projects.add_project"):
            raise ReportError(
                f"The report is about the project '{target.name}', which does not "
                "exist, and you may not create projects."
            )
    elif not access.can_see_project(user, target):
        raise ReportError(
            "The report names a project you do not have access to; choose one of your projects."
        )


def _run(
    user: Requester,
    *,
    content: bytes,
    file_name: str,
    project_id: int | None,
    create_project: bool,
    dry_run: bool,
) -> ReportImportResult:
    project = None
    if project_id is not None:
        project = access.visible_projects(user).filter(pk=project_id).first()
        if project is None:
            raise ReportError("The chosen project does not exist or you do not have access to it.")
    preview = report_import(
        content=content,
        file_name=file_name,
        project=project,
        create_project=create_project,
        user=user,
        dry_run=True,
    )
    _check_target(user, preview)
    if dry_run:
        return preview
    return report_import(
        content=content,
        file_name=file_name,
        project=project,
        create_project=create_project,
        user=user,
        dry_run=False,
    )


def _preview_context(result: ReportImportResult) -> dict[str, object]:
    parsed = result.parsed
    audit = result.audit
    assert audit is not None  # a dry run's result holds the previewed (or the duplicate) audit
    # Metric names are Audit columns, never relations.
    metrics: list[tuple[object, MetricValue | None]] = [
        (cast("models.Field[Any, Any]", audit._meta.get_field(name)).verbose_name, value)
        for name, value in parsed.metrics.items()
    ]
    metrics += [(name.replace("_", " "), value) for name, value in parsed.extra_metrics.items()]
    findings = [
        {
            "severity": SEVERITY_LABELS[f.severity],
            "title": f.title,
            "status": f.status,
            "location": f"{f.file_path}:{f.line}" if f.line else f.file_path,
        }
        for f in parsed.findings
    ]
    return {
        "result": result,
        "parsed": parsed,
        "metrics": metrics,
        "findings": findings,
        "scores": list(parsed.scores.values()),
        "stated_scores": list(parsed.stated_scores),
    }


def import_report_view(request: HttpRequest, model_admin: admin.ModelAdmin[Audit]) -> HttpResponse:
    user = request.user
    if not user.has_perm("projects.add_audit"):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Import an audit report",
        "has_view_permission": True,
    }
    upload_form = ReportUploadForm(user=user)
    if request.method == "POST" and "_confirm" in request.POST:
        confirm = ReportConfirmForm(request.POST)
        if confirm.is_valid():
            try:
                staged = staging.take(request, confirm.cleaned_data["payload"], kind=STAGING_KIND)
            except staging.StagingError as exc:
                messages.error(request, str(exc))
                return HttpResponseRedirect(reverse("admin:projects_audit_import_report"))
            return _confirmed(request, staged)
        # An ErrorList yields its messages as text.
        messages.error(request, " ".join(cast(Iterable[str], confirm.errors.get("payload", []))))
    elif request.method == "POST":
        upload_form = ReportUploadForm(request.POST, request.FILES, user=user)
        if upload_form.is_valid():
            upload = upload_form.cleaned_data["report"]
            content = upload.read()
            project = upload_form.cleaned_data["project"]
            target = {
                "file_name": upload.name,
                "project_id": project.pk if project else None,
                "create_project": bool(upload_form.cleaned_data.get("create_project")),
            }
            try:
                result = _run(user, content=content, dry_run=True, **target)
            except ReportError as exc:
                upload_form.add_error("report", str(exc))
            else:
                context.update(_preview_context(result))
                token = staging.stage(request, content=content, kind=STAGING_KIND, meta=target)
                context["confirm_form"] = ReportConfirmForm(initial={"payload": token})
    context["form"] = upload_form
    return TemplateResponse(request, "reports/admin/import_report.html", context)


def _confirmed(request: HttpRequest, staged: staging.StagedUpload) -> HttpResponse:
    meta = staged.meta
    try:
        result = _run(
            request.user,
            content=staged.content,
            file_name=meta["file_name"],
            project_id=meta["project_id"],
            create_project=meta["create_project"],
            dry_run=False,
        )
    except ReportError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("admin:projects_audit_import_report"))
    assert result.audit is not None  # the new audit, or the duplicate
    if result.duplicate_of is not None:
        messages.warning(request, result.messages[0])
    else:
        messages.success(
            request,
            f"Imported '{result.audit.title}' into {result.project.name} as audit #{result.audit.pk}.",
        )
    return HttpResponseRedirect(reverse("admin:projects_audit_change", args=[result.audit.pk]))


class ReportImportAdminMixin(_AuditAdminBase):
    """Adds "Import a report" to the Audit changelist (object tool) and its upload view, and an
    imported audit's source (file, importer, repairs, inconsistency) to its change page."""

    change_list_template = "reports/admin/audit_change_list.html"

    @admin.display(description="report source")
    def report_source_record(self, obj: Audit | None) -> str:
        if obj is None or obj.pk is None or obj.kind != Audit.Kind.IMPORTED:
            return "—"
        return record_as_html(ReportSource.objects.filter(audit=obj).first())

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "import-report/",
                self.admin_site.admin_view(lambda request: import_report_view(request, self)),
                name="projects_audit_import_report",
            )
        ]
        return custom + super().get_urls()
