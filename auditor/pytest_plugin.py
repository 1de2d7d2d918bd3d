"""Loaded by pytest before Django's settings (pyproject.toml: addopts "-p auditor.pytest_plugin").

Tests run with DEBUG off, i.e. with production settings, but the test client speaks plain http:
without this, SECURE_SSL_REDIRECT would answer every request with a redirect to https. The
production behaviour itself is tested in a subprocess with a clean environment
(auditor/tests/test_deploy_settings.py).
"""

import os

os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
