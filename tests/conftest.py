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


@pytest.fixture(autouse=True)
def _reference_data_for_transactional_tests(request):
    """Roles and maturity domains come from data migrations. A transactional test elsewhere in
    the run may have flushed them (TransactionTestCase empties every table afterwards), so the
    transactional tests here put them back when they are missing instead of depending on order."""
    if "transactional_db" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps

    from projects.models import MaturityDomain
    from projects.roles import sync_roles

    if not MaturityDomain.objects.exists():
        importlib.import_module("projects.migrations.0002_default_domains").create_domains(apps, None)
    sync_roles()
