"""The upload job page follows its job in a real browser, under the production CSP: the static
script polls the job's state, shows the progress in place and reloads the page when the job
moves on (here the job's row is moved by the test, as a worker would)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from projects.job_models import UploadJob
from tests.live import LiveServer, live_database_url
from tests.test_csp_browser import CHROMIUM, CHROMIUM_ARGS, RECORD_VIOLATIONS


def _until(page, predicate, timeout: float = 15) -> bool:
    """Polled from here: the page's CSP forbids the eval that Playwright's in-page waits use."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        page.wait_for_timeout(200)
    return False


def _shows(page, selector: str, text: str) -> bool:
    return _until(page, lambda: page.locator(selector).count() and text in page.inner_text(selector))


@pytest.mark.slow
@pytest.mark.postgresql
@pytest.mark.browser
def test_the_job_page_follows_the_job_without_breaking_the_csp(
    transactional_db, collected_static, admin, monkeypatch
):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    job = UploadJob.objects.create(
        kind=UploadJob.Kind.FINDINGS_TRIAGE, user=admin, file_name="triage.csv", total=10, staged_key="x" * 32
    )
    with (
        LiveServer(
            static_root=collected_static, database_url=live_database_url(), broker_url="redis://127.0.0.1:9/0"
        ) as server,
        sync_playwright() as playwright,
    ):
        base = f"http://127.0.0.1:{server.port}"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_init_script(RECORD_VIOLATIONS)
        server.login_as(admin)
        context.add_cookies([{"name": "sessionid", "value": server.cookies["sessionid"], "url": base}])
        page = context.new_page()

        page.goto(f"{base}/admin/findings/finding/import/jobs/{job.pk}/", wait_until="load")
        assert "Waiting for a worker" in page.inner_text("#upload-job")

        UploadJob.objects.filter(pk=job.pk).update(state=UploadJob.State.RUNNING, processed=4)
        assert _shows(page, "#upload-job", "In progress")  # reloaded: the state moved on
        assert "4 of 10 rows processed" in page.inner_text("#upload-job")

        UploadJob.objects.filter(pk=job.pk).update(processed=7)  # the same state: updated in place
        assert _shows(page, "[data-job-progress]", "7 of 10 rows processed")
        assert page.evaluate("document.querySelector('progress').value") == 7

        UploadJob.objects.filter(pk=job.pk).update(
            state=UploadJob.State.DONE,
            processed=10,
            result={"totals": {"update": 10}, "changed": 10, "skipped": 0, "error_rows": 0, "errors": []},
        )
        assert _until(page, lambda: page.locator("input[value='Confirm import']").count() == 1)
        assert "Preview: done" in page.inner_text("#upload-job") and page.locator("progress").count() == 0
        violations = page.evaluate("window.__cspViolations")
        browser.close()

    assert violations == []
