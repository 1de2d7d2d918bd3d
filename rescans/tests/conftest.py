"""Re-scan tests keep their checkouts (SCAN_CHECKOUT_CACHE_DIR) in their own temporary folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _checkout_cache_of_the_test(settings, tmp_path_factory):
    settings.SCAN_CHECKOUT_CACHE_DIR = str(tmp_path_factory.mktemp("checkouts"))
