"""The OpenAPI schema documents every /api/v1/ endpoint, without a warning; its readers are
served from auditor itself."""

from __future__ import annotations

import re

import pytest
import yaml
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from api.services import token_create

CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
UNDOCUMENTED = {"api/v1/schema/", "api/v1/docs/", "api/v1/redoc/", "api/v1/^.*$"}  # the schema and readers


def api_paths():
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p

    for path, pattern in walk(get_resolver().url_patterns):
        if path.startswith("api/v1/") and path not in UNDOCUMENTED:
            # drf-spectacular names a primary key "id", as the objects show it.
            yield "/" + CONVERTER.sub(lambda m: "{%s}" % ("id" if m[1] == "pk" else m[1]), path), pattern


def test_every_api_url_and_method_is_in_the_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = list(api_paths())

    assert len(paths) >= 20
    for path, pattern in paths:
        assert path in schema["paths"], f"{path} is not in the OpenAPI schema"
        methods = set(getattr(pattern.callback, "actions", {}) or {}) - {"head", "options"}
        documented = set(schema["paths"][path])
        assert methods <= documented, f"{path}: {methods - documented} undocumented"


def test_the_schema_has_no_warning_or_guessed_serializer(capsys):
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    output = capsys.readouterr()

    assert GENERATOR_STATS._warn_cache == {} and GENERATOR_STATS._error_cache == {}
    assert "unable to guess serializer" not in output.out + output.err
    operations = [op for item in schema["paths"].values() for op in item.values()]
    assert all(op.get("responses") for op in operations)
    assert schema["components"]["securitySchemes"]["personalToken"]["scheme"] == "bearer"


def test_the_schema_is_served_to_a_token_in_yaml_and_json(tech_lead):
    raw = token_create(user=tech_lead, name="schema")[1]
    headers = {"Authorization": f"Bearer {raw}"}

    as_yaml = Client().get("/api/v1/schema/", headers=headers)
    as_json = Client().get("/api/v1/schema/?format=json", headers=headers)

    assert yaml.safe_load(as_yaml.content)["openapi"].startswith("3.")
    assert "/api/v1/findings/{id}/" in as_json.json()["paths"]


@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_readers_load_only_local_files_and_no_inline_code(admin, url):
    client = Client()
    client.force_login(admin)

    page = client.get(url).content.decode()

    assert "<style" not in page
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(src.startswith("/") for src in sources), sources
    assert "drf_spectacular_sidecar" in page


def test_the_swagger_script_is_served_as_javascript(admin):
    client = Client()
    client.force_login(admin)

    script = client.get("/api/v1/docs/?script=")

    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


def test_every_operation_documents_its_json_errors():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert {"401", "429"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if method != "get":
                assert {"400", "403"} <= set(responses), (method, path)
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
