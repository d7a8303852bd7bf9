"""The serving risks: absolute URLs from the configured base URL (never the Host
header), Cache-Control on feeds and OpenSearch, OPTIONS refused like every method but
GET and HEAD, and `crawl --sample` refusing a data dir that holds real documents."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from search_app import create_app
from search_app.cli import main

from .helpers import close_app, data_dir_with, ordinary

EVIL = "kwaad.example"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return data_dir_with(tmp_path_factory.mktemp("risks"), ordinary(5))


@pytest.fixture(params=[None, "https://kennisbank.example.be/zoeken"])
def app(request, data):
    config = {"TESTING": True, "DATA_DIR": str(data)}
    if request.param:
        config["BASE_URL"] = request.param
    app = create_app(config)
    app.config["EXPECTED_BASE"] = request.param or "http://127.0.0.1:8000"
    yield app
    close_app(app)


def test_absolute_urls_never_come_from_the_host_header(app):
    client = app.test_client()
    base = app.config["EXPECTED_BASE"]
    headers = {"Host": EVIL, "X-Forwarded-Host": EVIL}
    answers = [
        client.get("/opensearch.xml", headers=headers),
        client.get("/feed.atom?q=jeugdraad", headers=headers),
        client.get("//?q=jeugdraad", headers=headers),
    ]
    for resp in answers:
        assert EVIL not in resp.get_data(as_text=True)
        assert EVIL not in resp.headers.get("Location", "")
    assert f"{base}/?q={{searchTerms}}" in answers[0].get_data(as_text=True)
    assert f'href="{base}/?' in answers[1].get_data(as_text=True)
    assert answers[2].status_code == 308
    assert answers[2].headers["Location"].startswith(base + "/")


def test_feeds_and_opensearch_carry_cache_control(app):
    client = app.test_client()
    for url in ("/feed.atom?q=jeugdraad", "/opensearch.xml"):
        resp = client.get(url)
        assert resp.status_code == 200
        assert "max-age=" in resp.headers.get("Cache-Control", "")


@pytest.mark.parametrize("url", ["/", "/api/v1/search", "/feed.atom", "/bronnen", "/export"])
def test_options_is_refused_like_other_methods(app, url):
    resp = app.test_client().open(url, method="OPTIONS")
    assert resp.status_code == 405
    assert resp.headers["Allow"] == "GET, HEAD"
    if url.startswith("/api/"):
        assert resp.get_json() == {"error": "methode niet toegestaan", "status": 405}


def test_a_bad_base_url_is_a_usage_error(data):
    result = CliRunner().invoke(
        main, ["serve", "--build-only", "--base-url", "ftp://x", "--data-dir", str(data)]
    )
    assert result.exit_code == 2 and "base URL" in result.output


def test_crawl_sample_refuses_a_data_dir_with_real_documents(data):
    before = sorted(p.name for p in data.rglob("*"))
    result = CliRunner().invoke(main, ["crawl", "--sample", "--data-dir", str(data)])
    assert result.exit_code == 2
    assert "not the sample" in result.output
    assert sorted(p.name for p in data.rglob("*")) == before
    result = CliRunner().invoke(main, ["scheduler", "--sample", "--data-dir", str(data)])
    assert result.exit_code == 2 and "not the sample" in result.output
