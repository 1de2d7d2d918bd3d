"""Helpers for tests that post admin forms the way a browser would."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time


def _value(form, name):
    field = form.fields[name]
    value = form.initial.get(name, field.initial)
    if callable(value):
        value = value()
    value = field.prepare_value(value) if value is not None else value
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value)


def admin_form_data(response) -> dict:
    """The data a browser would post back, unchanged, from an admin add/change page response."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = _value(form, name)
        if value != "" and value is not False:
            data[form.add_prefix(name)] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = _value(management, name)
        for subform in formset.initial_forms:
            for name in subform.fields:
                value = _value(subform, name)
                if value != "":
                    data[subform.add_prefix(name)] = value
        data[management.add_prefix("TOTAL_FORMS")] = str(len(formset.initial_forms))
    return data


def database_url_for_subprocess() -> str:
    """A DATABASE_URL pointing at the database this test process uses (the test database)."""
    from urllib.parse import quote

    from django.db import connection

    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    if connection.vendor != "postgresql":
        raise RuntimeError(f"no URL form for {connection.vendor}")
    auth = quote(params["USER"] or "", safe="")
    if params.get("PASSWORD"):
        auth += ":" + quote(params["PASSWORD"], safe="")
    host = params.get("HOST") or "localhost"
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{params['NAME']}"


@contextlib.contextmanager
def running_celery_worker(
    *, queues: str | None = None, concurrency: int = 1, extra_env=None, extra_args: tuple[str, ...] = ()
):
    """Start a real Celery worker on the configured broker, against the test database.

    `extra_args` go to the worker's command line (e.g. "--include=module" for a test-only task).
    Yields the Popen object; the worker is stopped (TERM, then KILL) on exit. Use from tests
    marked `django_db(transaction=True)` so the worker sees committed rows.
    """
    from django.conf import settings

    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **(extra_env or {}),
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "auditor",
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        "--pool=prefork",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if queues:
        command += ["--queues", queues]
    command += list(extra_args)
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.seek(0)
        proc.output = log.read().decode(errors="replace")
        log.close()


def wait_until(predicate, *, timeout: float = 60, interval: float = 0.2):
    """Poll `predicate` until it returns a truthy value or the timeout passes; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
