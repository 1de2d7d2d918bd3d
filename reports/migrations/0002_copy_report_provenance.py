"""Copy scan_details["report"] of imported audits into ReportSource before projects 0011 drops
scan_details; migrating back puts it back under the same key."""

from decimal import Decimal, InvalidOperation

from django.db import migrations

BATCH = 500


def _mean(value):
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def copy_forward(apps, schema_editor):
    Audit = apps.get_model("projects", "Audit")
    ReportSource = apps.get_model("reports", "ReportSource")
    sources = []
    for pk, details in Audit.objects.exclude(scan_details={}).values_list("pk", "scan_details").iterator():
        report = (details or {}).get("report")
        if not isinstance(report, dict):
            continue
        sources.append(
            ReportSource(
                audit_id=pk,
                file_name=str(report.get("file_name") or "")[:255],
                imported_by=str(report.get("imported_by") or "")[:150],
                verdict_as_written=str(report.get("verdict_as_written") or "")[:300],
                repairs=report.get("repairs") or [],
                weighted_mean_of_stated_scores=_mean(report.get("weighted_mean_of_stated_scores")),
                inconsistency=report.get("inconsistency") or {},
            )
        )
        if len(sources) >= BATCH:
            ReportSource.objects.bulk_create(sources)
            sources = []
    ReportSource.objects.bulk_create(sources)


def copy_back(apps, schema_editor):
    Audit = apps.get_model("projects", "Audit")
    ReportSource = apps.get_model("reports", "ReportSource")
    for source in ReportSource.objects.select_related("audit").iterator(chunk_size=BATCH):
        mean = source.weighted_mean_of_stated_scores
        report = {
            "file_name": source.file_name,
            "imported_by": source.imported_by,
            "verdict_as_written": source.verdict_as_written,
            "repairs": source.repairs,
            "weighted_mean_of_stated_scores": str(mean) if mean is not None else None,
            "inconsistency": source.inconsistency or None,
        }
        Audit.objects.filter(pk=source.audit_id).update(
            scan_details={**(source.audit.scan_details or {}), "report": report}
        )
    # Back to the state before the copy, so that migrating forward again copies afresh.
    ReportSource.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("projects", "0010_audit_unmeasured_domains"),
    ]
    run_before = [
        ("projects", "0011_remove_audit_scan_details"),
    ]

    operations = [migrations.RunPython(copy_forward, copy_back)]
