"""Recount the monthly findings rollup the trends page reads, for every project."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from scoring.trend_rollup import trends_rebuild


class Command(BaseCommand):
    help = "Recount the trends rollup (findings per project, domain and month) from the findings."

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.monotonic()
        rows = trends_rebuild()
        self.stdout.write(f"Trends rollup rebuilt: {rows} rows in {time.monotonic() - start:.1f} s.")
