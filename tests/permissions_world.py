"""The objects the permissions matrix is checked against: two projects (A led by `lead`, B led by
`otherlead`), each with an audit, a domain score, a finding, an import run, an API token and a
checklist, and a pending exception its tech lead requested for the finding."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from checklists.models import Checklist, ChecklistItem, ChecklistTemplate, EvidenceFile
from findings.models import Finding, ImportRun
from findings.services.tokens import api_token_create
from governance.services import exception_request
from integrations.badges import badge_key_rotate
from projects.models import Audit, DomainScore, MaturityDomain, Project
from scoring.services import project_refresh_summary
from tests.uploads.world import upload_job_ids


@dataclass
class Side:
    project: Project
    audit: Audit
    score: DomainScore
    finding: Finding
    run: ImportRun
    token: object
    raw_token: str
    checklist: Checklist
    ids: dict = field(default_factory=dict)


def build_side(project: Project, tag: str) -> Side:
    project.repository_url = "https://example.com/repo.git"
    project.save()
    audit = Audit.objects.create(project=project, title=f"Audit {tag}", status="completed")
    score = DomainScore.objects.create(
        audit=audit, domain=MaturityDomain.objects.get(slug="security"), score="5.0"
    )
    finding = Finding.objects.create(
        project=project, title=f"Finding {tag}", fingerprint=f"fp-{tag}", last_seen_audit=audit
    )
    run = ImportRun.objects.create(project=project, audit=audit, format="sarif", status="succeeded")
    token, raw = api_token_create(project=project, name=f"CI {tag}")
    checklist = Checklist.objects.create(project=project, title=f"Checklist {tag}")
    item = ChecklistItem.objects.create(checklist=checklist, text=f"Item {tag}")
    stored = default_storage.save(f"checklist-evidence/world-{tag}.txt", ContentFile(b"evidence"))
    evidence = EvidenceFile.objects.create(
        item=item, revision=1, file=stored, content_type="text/plain", size=8, sha256="0" * 64
    )
    exception = exception_request(
        user=project.tech_lead, reason="false_positive", justification="Test fixture.", finding=finding
    )
    project_refresh_summary(project_id=project.pk)
    side = Side(project, audit, score, finding, run, token, raw, checklist)
    side.ids = {
        "slug": project.slug,
        "project": project.pk,
        "audit": audit.pk,
        "score": score.pk,
        "finding": finding.pk,
        "run": run.pk,
        "token": token.pk,
        "checklist": checklist.pk,
        "item": item.pk,
        "evidence": evidence.pk,
        "exception": exception.pk,
        **upload_job_ids(project),
        "badge_key": badge_key_rotate(project=project),
    }
    return side


def shared_ids() -> dict:
    return {
        "domain": MaturityDomain.objects.get(slug="security").pk,
        "template": ChecklistTemplate.objects.order_by("pk").values_list("pk", flat=True).first(),
    }
