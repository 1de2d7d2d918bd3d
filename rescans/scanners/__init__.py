"""The scanners a re-scan can run. Adding one: a module with a `Scanner` subclass, listed here."""

from __future__ import annotations

from rescans.scanners.artifacts import ArtifactsScanner
from rescans.scanners.bandit import BanditScanner
from rescans.scanners.base import (
    NormalisedFinding,
    RunLimits,
    Scanner,
    ScannerError,
    ScannerOutput,
)
from rescans.scanners.checks import ChecksScanner
from rescans.scanners.detect_secrets import DetectSecretsScanner
from rescans.scanners.ruff import RuffScanner

REGISTRY: dict[str, type[Scanner]] = {
    cls.name: cls
    for cls in (BanditScanner, RuffScanner, DetectSecretsScanner, ChecksScanner, ArtifactsScanner)
}


def enabled_scanners(names: list[str] | None) -> list[Scanner]:
    """The scanners a project asked for (all of them when its list is empty), in registry order."""
    if not names:
        return [cls() for cls in REGISTRY.values()]
    unknown = sorted(set(names) - set(REGISTRY))
    if unknown:
        raise ValueError(f"Unknown scanner(s): {', '.join(unknown)}. Known: {', '.join(REGISTRY)}.")
    return [cls() for name, cls in REGISTRY.items() if name in names]


__all__ = [
    "REGISTRY",
    "ArtifactsScanner",
    "BanditScanner",
    "ChecksScanner",
    "DetectSecretsScanner",
    "RuffScanner",
    "NormalisedFinding",
    "RunLimits",
    "Scanner",
    "ScannerError",
    "ScannerOutput",
    "enabled_scanners",
]
