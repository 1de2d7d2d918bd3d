import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """These tests create many users; the real hasher is deliberately slow (tested elsewhere)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """Static files collected once, as the image does at build time (manifest storage)."""
    from tests.live import collect_static

    target = tmp_path_factory.mktemp("static")
    collect_static(target)
    return target
