"""`make run` from a fresh clone: installs, migrates, loads demo data and serves the app.

This is the newcomer's path from the README, run for real: a clone of the committed tree,
its own virtualenv, the embedded defaults (SQLite, filesystem broker, console email).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from ops.demo.data import USERS

pytestmark = pytest.mark.slow

# The demo manager's credentials, as `make run` prints them.
MANAGER_PASSWORD = next(password for username, password, *_ in USERS if username == "manager")
STARTUP_TIMEOUT = 600  # a fresh virtualenv installs every requirement first


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(opener, url, data=None):
    try:
        with opener.open(url, data=data, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def fresh_clone(tmp_path) -> Path:
    clone = tmp_path / "auditor"
    subprocess.run(["git", "clone", "--quiet", str(settings.BASE_DIR), str(clone)], check=True)
    return clone


def wait_for_lines(log_path: Path, needles: tuple[str, ...], *, timeout: float) -> str:
    """The log once it holds every needle, or as it is when `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        output = log_path.read_text(errors="replace")
        if all(needle in output for needle in needles) or time.monotonic() > deadline:
            return output
        time.sleep(0.5)


def test_make_run_serves_the_demo_to_the_manager_and_stops_on_ctrl_c(fresh_clone, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "SECRET_KEY",
            "DEBUG",
            "EMAIL_URL",
            "DJANGO_SETTINGS_MODULE",
            "VIRTUAL_ENV",
            "AUDITOR_VAR_DIR",
        }
    }
    log_path = tmp_path / "make-run.log"
    with open(log_path, "wb") as log:
        make = subprocess.Popen(
            ["make", "run", f"ADDR=127.0.0.1:{port}"],
            cwd=fresh_clone,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        deadline = time.monotonic() + STARTUP_TIMEOUT
        status = None
        while time.monotonic() < deadline and make.poll() is None:
            try:
                status, body = get(opener, f"{base}/healthz")
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(1)
        output = log_path.read_text(errors="replace")
        assert status == 200, f"/healthz never answered 200; make run said:\n{output[-4000:]}"
        assert json.loads(body)["database"] == "ok"
        # The demo users are printed (DEBUG is on in make run).
        assert re.search(rf"manager\s+/\s+{re.escape(MANAGER_PASSWORD)}", output), output[-4000:]

        status, page = get(opener, f"{base}/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {
                "username": "manager",
                "password": MANAGER_PASSWORD,
                "csrfmiddlewaretoken": token,
                "next": "/admin/",
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (loopback http)
            f"{base}/admin/login/",
            data=form,
            headers={"Referer": f"{base}/admin/login/"},
        )
        status, page = get(opener, request)
        assert status == 200 and "Log out" in page, page[:2000]

        status, page = get(opener, f"{base}/admin/projects/project/")
        assert status == 200
        for name in [
            "Champion Clone",
            "AetherFlow",
            "Ledger API",
            "Pulse Notifications",
            "Atlas Geo Service",
        ]:
            assert name in page

        # The worker and beat came up next to the web server (the worker may say so after the
        # web server answers: it starts beside it, not before it).
        output = wait_for_lines(log_path, ("ready.", "beat: Starting"), timeout=120)
        assert "ready." in output, output[-4000:]
        assert "beat: Starting" in output, output[-4000:]
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches the whole group
        try:
            make.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
            pytest.fail("make run did not stop within 60 s of Ctrl-C")

    # Nothing of the three processes is left behind.
    time.sleep(1)
    leftovers = subprocess.run(["pgrep", "-f", str(fresh_clone)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", leftovers.stdout
