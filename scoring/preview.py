"""What a formula version would change: the portfolio under it beside the stored scores.

Read only: `manage.py scores_preview` and the admin's preview page show it; applying a version is
`recompute_scores --apply-formula` (scoring.services).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from projects.models import DomainScore, MaturityDomain, Project
from scoring.gate import capped_global, global_score
from scoring.services import FORMULA_VERSIONS, compute_scores, latest_completed_audit


@dataclass(frozen=True)
class DomainPreview:
    slug: str
    name: str
    source: str  # "computed", "manual", "imported" or "" (not measured today)
    old: Decimal | None
    old_version: str  # formula version the stored score was computed with ("" if none)
    new: Decimal | None

    @property
    def delta(self) -> Decimal | None:
        if self.old is None or self.new is None:
            return None
        return self.new - self.old


@dataclass(frozen=True)
class ProjectPreview:
    project_id: int
    slug: str
    name: str
    audit_id: int
    audit_title: str
    old_global: Decimal | None
    new_global: Decimal | None
    domains: tuple[DomainPreview, ...]

    @property
    def delta(self) -> Decimal | None:
        if self.old_global is None or self.new_global is None:
            return None
        return self.new_global - self.old_global


def formula_preview(
    *, formula_version: str, project_slugs: list[str] | None = None, limit: int | None = None
) -> list[ProjectPreview]:
    """What the latest completed audit of each project would score under a formula version,
    beside what it stores today. Writes nothing (the portfolio is unchanged)."""
    if formula_version not in FORMULA_VERSIONS:
        raise ValueError(
            f"Unknown formula version {formula_version!r}; known versions: {', '.join(FORMULA_VERSIONS)}."
        )
    domains = list(MaturityDomain.objects.all())
    weights = {d.pk: d.weight for d in domains}
    projects = Project.objects.order_by("name", "pk")
    if project_slugs:
        projects = projects.filter(slug__in=project_slugs)
    if limit is not None:
        projects = projects[:limit]
    previews = []
    for project in projects:
        audit = latest_completed_audit(project.pk)
        if audit is None:
            continue
        stored = {s.domain_id: s for s in DomainScore.objects.filter(audit=audit)}
        computed = compute_scores(audit, domains, formula_version)
        rows, pairs, caps = [], [], []
        for domain in domains:
            current = stored.get(domain.pk)
            new, why, _ = computed[domain.pk]
            if current is not None and current.source != DomainScore.Source.COMPUTED:
                new = current.score  # stated scores are kept under every formula
            else:
                caps += [Decimal(e["value"]) for e in why if e["kind"] == "global_cap" and e.get("value")]
            rows.append(
                DomainPreview(
                    slug=domain.slug,
                    name=domain.name,
                    source=current.source if current is not None else "",
                    old=current.score if current is not None else None,
                    old_version=current.formula_version if current is not None else "",
                    new=new,
                )
            )
            pairs.append((new, weights[domain.pk]))
        previews.append(
            ProjectPreview(
                project_id=project.pk,
                slug=project.slug,
                name=project.name,
                audit_id=audit.pk,
                audit_title=audit.title,
                old_global=audit.global_score,
                new_global=capped_global(global_score(pairs), min(caps) if caps else None),
                domains=tuple(rows),
            )
        )
    return previews
