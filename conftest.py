"""Shared fixtures: one user per role, and two projects (ours and someone else's)."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import get_resolver

from projects import access
from projects.models import Audit, MaturityDomain, Project

# As a web worker does when it starts (auditor/wsgi.py): the URLconf discovers the admin's
# modules, whose registry the admin tests read while they are collected.
get_resolver().url_patterns  # noqa: B018

PASSWORD = "correct-horse-battery-staple"  # noqa: S105  # pragma: allowlist secret


def make_user(username: str, role: str | None = None, **extra) -> User:
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        is_staff=True,
        **extra,
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests render pages without running collectstatic, so no manifest of hashed names."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache, so cached lookups never leak between tests."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def admin(db):
    return make_user("root", is_superuser=True)


@pytest.fixture
def tech_lead(db):
    return make_user("lead", access.TECH_LEAD)


@pytest.fixture
def other_tech_lead(db):
    return make_user("otherlead", access.TECH_LEAD)


@pytest.fixture
def manager(db):
    return make_user("manager", access.MANAGER)


@pytest.fixture
def auditor_user(db):
    return make_user("auditor", access.AUDITOR)


@pytest.fixture
def project(tech_lead):
    return Project.objects.create(name="Champion Clone", slug="champion-clone", tech_lead=tech_lead)


@pytest.fixture
def other_project(other_tech_lead):
    return Project.objects.create(name="AetherFlow", slug="aetherflow", tech_lead=other_tech_lead)


@pytest.fixture
def audit(project):
    return Audit.objects.create(project=project, title="Backend audit V2")


@pytest.fixture
def security(db):
    return MaturityDomain.objects.get(slug="security")


def pytest_collection_modifyitems(items):
    """Transactional tests flush every table, including the reference data that migrations
    create (roles, maturity domains, the checklist library, beat schedules). Restore it after
    each of them (serialized rollback), so that no test depends on the order tests run in.

    Tests marked `postgresql` or `redis` exercise what only those servers have (row locks,
    pg_stat_activity, a TCP relay in front of PostgreSQL, broker redelivery): on the embedded
    default (SQLite, filesystem broker) they are skipped with the reason; CI runs them all."""
    from django.conf import settings

    on_postgresql = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    on_redis = settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    for item in items:
        if item.get_closest_marker("postgresql") and not on_postgresql:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://...)"))
        if item.get_closest_marker("redis") and not on_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis (CELERY_BROKER_URL=redis://...)"))
        marker = item.get_closest_marker("django_db")
        if marker is not None:
            if marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
                kwargs = {**marker.kwargs, "serialized_rollback": True}
                item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
        elif {"transactional_db", "live_server"} & set(item.fixturenames):
            if "django_db_serialized_rollback" not in item.fixturenames:
                item.fixturenames.append("django_db_serialized_rollback")
