import pytest


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    """The test receivers listen on 127.0.0.1 over http: allowed here only."""
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_RETRY_DELAYS = (60, 300, 1800, 7200, 43200)
    settings.WEBHOOK_TIMEOUT_SECONDS = 5.0
