"""Shared helpers for the findings tests: the real-tool fixtures and variants built from them."""

from __future__ import annotations

import copy
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ruff_sarif() -> dict:
    return json.loads(fixture("ruff_v1.sarif"))


def sarif_bytes(doc: dict) -> bytes:
    return json.dumps(doc).encode()


def sarif_variant(mutate) -> bytes:
    """The real ruff SARIF report with `mutate(doc)` applied (for SARIF features ruff lacks)."""
    doc = copy.deepcopy(ruff_sarif())
    mutate(doc)
    return sarif_bytes(doc)
