"""The scanners a re-scan can run. Adding one: a module with a `Scanner` subclass, listed here."""

from __future__ import annotations

from rescans.scanners.artifacts import ArtifactsScanner
from rescans.scanners.bandit import BanditScanner
from rescans.scanners.base import (
    RunLimits,
    Scanner,
    ScannerError,
    ScannerOutput,
)
from rescans.scanners.checks import ChecksScanner
from rescans.scanners.detect_secrets import DetectSecretsScanner
from rescans.scanners.lizard import LizardScanner
from rescans.scanners.osv import OsvScanner
from rescans.scanners.ruff import RuffScanner
from rescans.scanners.secrets import SecretsScanner
from rescans.scanners.semgrep import SemgrepScanner

# The slowest first: the thread pool then starts them first and the re-scan ends sooner.
REGISTRY: dict[str, type[Scanner]] = {
    cls.name: cls
    for cls in (
        SemgrepScanner,
        BanditScanner,
        LizardScanner,
        RuffScanner,
        SecretsScanner,
        OsvScanner,
        ChecksScanner,
        ArtifactsScanner,
        DetectSecretsScanner,
    )
}
# Run only when a project asks for it: the secrets analyzer covers the same ground in seconds
# where detect-secrets took minutes on large repositories.
NOT_BY_DEFAULT = frozenset({DetectSecretsScanner.name})


def enabled_scanners(names: list[str] | None) -> list[Scanner]:
    """The scanners a project asked for (the default set when its list is empty), in registry order."""
    if not names:
        return [cls() for name, cls in REGISTRY.items() if name not in NOT_BY_DEFAULT]
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
    "LizardScanner",
    "OsvScanner",
    "RuffScanner",
    "SecretsScanner",
    "SemgrepScanner",
    "RunLimits",
    "Scanner",
    "ScannerError",
    "ScannerOutput",
    "enabled_scanners",
]
