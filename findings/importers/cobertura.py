"""Cobertura XML (`coverage xml`): line and branch coverage % onto the audit's metrics."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from findings.importers.base import ParsedScan, ScanFormatError, as_float, as_int, expect


def looks_like(root) -> bool:
    return root.tag == "coverage"


def _percent(rate: float | None, where: str) -> Decimal | None:
    if rate is None:
        return None
    if not 0.0 <= rate <= 1.0:
        raise ScanFormatError(f"rate {rate} is outside 0..1", where=where)
    return (Decimal(str(rate)) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse(root) -> ParsedScan:
    expect(looks_like(root), f"not a Cobertura report (root element <{root.tag}>, expected <coverage>)")
    line_rate = as_float(root.get("line-rate"), "<coverage line-rate>")
    expect(line_rate is not None, "missing line-rate attribute", "<coverage>")
    branch_rate = as_float(root.get("branch-rate"), "<coverage branch-rate>")
    branches_valid = as_int(root.get("branches-valid"), "<coverage branches-valid>")
    metrics = {"coverage_percent": _percent(line_rate, "<coverage line-rate>")}
    # coverage.py writes branch-rate="0" when branch measurement was off: that is "unknown".
    if branch_rate is not None and branches_valid != 0:
        metrics["branch_coverage_percent"] = _percent(branch_rate, "<coverage branch-rate>")
    lines_valid = as_int(root.get("lines-valid"), "<coverage lines-valid>")
    files = {cls.get("filename") for cls in root.iter("class") if cls.get("filename")}
    extra = {
        "coverage_lines_valid": lines_valid,
        "coverage_lines_covered": as_int(root.get("lines-covered"), "<coverage lines-covered>"),
    }
    metrics["extra"] = {k: v for k, v in extra.items() if v is not None}
    if files:
        metrics["extra"]["coverage_files"] = len(files)
    return ParsedScan(format="cobertura", tool="coverage", metrics=metrics)
