"""The admin's modules load with the URLconf, not when a command or a worker starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.contrib import admin
from django.urls import get_resolver

from projects.models import Audit, Project

ROOT = Path(__file__).resolve().parent.parent
APPS = ("projects", "findings", "checklists", "governance", "scoring", "reports", "integrations", "trail")


def _modules_after(code: str) -> set[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "auditor.settings"}
    script = f"import sys, django\ndjango.setup()\n{code}\nprint('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_a_process_that_serves_no_url_imports_no_admin_module() -> None:
    started = _modules_after("")
    assert not {f"{app}.admin" for app in APPS} & started
    assert not {"rescans.admin_actions", "reports.admin_views", "checklists.admin_actions"} & started

    served = _modules_after("from django.urls import get_resolver\nget_resolver().url_patterns")
    assert {f"{app}.admin" for app in APPS} <= served


def test_the_discovered_admin_passes_django_checks_and_reads_the_trail() -> None:
    get_resolver().url_patterns  # noqa: B018 - what a web worker loads when it starts
    assert admin.site.is_registered(Project) and admin.site.is_registered(Audit)
    # `manage.py check` may run the admin checks before the URL checks that discover the admin:
    # the registered ModelAdmins are checked here, all of them.
    assert admin.site.check(None) == []
    assert getattr(admin.site.get_model_admin(Audit), "_trail_history", False)
