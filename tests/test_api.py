"""The open API against its OpenAPI 3.1 description: real answers validated with
jsonschema, and one JSON error shape for every error."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

ERROR_PATHS = [
    ("/api/v1/search?page=0", 400),
    ("/api/v1/search?sort=sideways", 400),
    ("/api/v1/search?year_from=2030&year_to=2020", 400),
    ("/api/v1/facets?year=20x4", 400),
    ("/api/v1/documents/doesnotexist", 404),
    ("/api/v1/documents/" + "a" * 100, 404),
    ("/api/v1/nothing-here", 404),
    ("/export?format=xls", 400),
    ("/export?limit=-1", 400),
    ("/feed.atom?page=abc", 400),
    ("/feed.atom?sort=sideways", 400),
]


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _validator(spec: dict, name: str) -> Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _response_schema(spec: dict, path: str, status: str) -> str:
    content = spec["paths"][path]["get"]["responses"][status]["content"]
    return content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]


def test_spec_is_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    assert {"/api/v1/search", "/api/v1/facets", "/api/v1/documents/{doc_id}"} <= set(spec["paths"])
    assert {"/export", "/feed.atom"} <= set(spec["paths"])
    for name in spec["components"]["schemas"]:
        _validator(spec, name)


@pytest.mark.parametrize(
    "query", ["q=jeugdraad", "q=kinderen&sort=date&per_page=100", "type=methodiek&page=2", ""]
)
def test_search_answers_match_spec(client, spec, query):
    resp = client.get("/api/v1/search?" + query)
    assert resp.status_code == 200
    _validator(spec, _response_schema(spec, "/api/v1/search", "200")).validate(resp.get_json())


def test_facets_and_document_answers_match_spec(client, spec):
    resp = client.get("/api/v1/facets?q=jeugd&site=bataljong.be")
    _validator(spec, _response_schema(spec, "/api/v1/facets", "200")).validate(resp.get_json())
    body = resp.get_json()
    assert (
        body["total"] == client.get("/api/v1/search?q=jeugd&site=bataljong.be").get_json()["total"]
    )
    doc_id = client.get("/api/v1/search?q=jeugdraad").get_json()["results"][0]["id"]
    doc = client.get(f"/api/v1/documents/{doc_id}")
    assert doc.status_code == 200
    schema = _response_schema(spec, "/api/v1/documents/{doc_id}", "200")
    _validator(spec, schema).validate(doc.get_json())
    assert doc.get_json()["id"] == doc_id and doc.get_json()["text"]


def test_json_export_and_meta_match_spec(client, spec):
    body = client.get("/export?q=jeugdraad&format=json&with_text=1").get_json()
    _validator(spec, "JsonExport").validate(body)
    meta = client.get("/export?q=jeugdraad&format=meta").get_json()
    _validator(spec, "Provenance").validate(meta)


def test_spec_parameters_are_the_ones_the_app_reads(spec):
    from search_app.params import FILTER_PARAMS

    names = {p["name"] for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert set(FILTER_PARAMS) | {"q", "year_from", "year_to", "sort", "page", "per_page"} == names


@pytest.mark.parametrize(("path", "status"), ERROR_PATHS)
def test_one_error_shape(client, spec, path, status):
    resp = client.get(path)
    assert resp.status_code == status, (path, resp.data[:200])
    assert resp.content_type.startswith("application/json")
    body = resp.get_json()
    _validator(spec, "Error").validate(body)
    assert body["status"] == status and body["error"]


def test_documented_error_statuses(client, spec):
    for path, status in ERROR_PATHS:
        template = path.split("?")[0]
        if template.startswith("/api/v1/documents/"):
            template = "/api/v1/documents/{doc_id}"
        if template not in spec["paths"]:
            continue  # an unknown path is a 404 of no operation
        assert str(status) in spec["paths"][template]["get"]["responses"], (path, status)


def test_method_not_allowed_is_json(client):
    resp = client.post("/api/v1/search")
    assert resp.status_code == 405
    assert json.loads(resp.data) == {"error": "methode niet toegestaan", "status": 405}
