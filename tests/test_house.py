"""The house rules that keep the project self-contained: the API contract lives in
docs/api.md and follows the facet registry and the limits; nothing points outside the
project; code comments name no issue numbers; one facet registry drives every reader."""

from __future__ import annotations

import re
from pathlib import Path

from indexer.facets import FACET_NAMES, FACETS, MULTI_VALUED
from indexer.schema import build_schema
from search_app import settings
from search_app.openapi import openapi_spec
from search_app.params import FILTER_PARAMS
from search_app.views import FACET_LABELS

REPO = Path(__file__).resolve().parent.parent
PRODUCT = ("crawler", "indexer", "search_app", "bench", "tests", ".ci")


def _product_files():
    for top in PRODUCT:
        for path in (REPO / top).rglob("*"):
            if path.is_file() and path.suffix in ("", ".py", ".md", ".toml", ".html", ".sh"):
                yield path
    yield from (REPO / "docs").glob("*.md")
    yield REPO / "README.md"


def test_api_doc_names_every_facet_and_limit():
    doc = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    for name in FACET_NAMES:
        assert f"| `{name}` |" in doc, name
    for figure in (
        f"at most {settings.MAX_QUERY_CHARS} characters",
        f"above {settings.MAX_PER_PAGE} it is capped to {settings.MAX_PER_PAGE}",
        f"1–{settings.MAX_PAGE}, default 1",
        f"{settings.YEAR_MIN}–{settings.YEAR_MAX}",
        f"at most {settings.MAX_RESULT_WINDOW:,}",
        f"at most {settings.MAX_FILTER_VALUES} values of at most {settings.MAX_FILTER_CHARS}",
    ):
        assert figure in doc, figure


def test_nothing_points_outside_the_project():
    outside = re.compile(r"\.\./shared|/work/shared|DESIGN\.md|PERFORMANCE_NOTES")
    hits = [
        str(p.relative_to(REPO))
        for p in _product_files()
        if p.name != Path(__file__).name and outside.search(p.read_text(errors="replace"))
    ]
    assert not hits


def test_code_comments_name_no_issue_numbers():
    issue = re.compile(r"#.*\bissues?\s*#?\d", re.I)
    hits = [
        f"{p.relative_to(REPO)}:{i}"
        for p in _product_files()
        if p.suffix == ".py"
        for i, line in enumerate(p.read_text(errors="replace").splitlines(), 1)
        if issue.search(line)
    ]
    assert not hits


def test_one_facet_registry_drives_every_reader():
    assert FILTER_PARAMS == FACET_NAMES
    assert list(FACET_LABELS) == list(FACET_NAMES)
    spec = openapi_spec()
    params = {p["name"] for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert set(FACET_NAMES) <= params
    assert spec["components"]["schemas"]["Facets"]["required"] == list(FACET_NAMES)
    schema = build_schema()
    for facet in FACETS:
        assert facet.field in schema.names()
        assert (facet.field in MULTI_VALUED) == facet.multi_valued


def test_year_values_sort_newest_first_and_others_by_count():
    year = next(f for f in FACETS if f.name == "year")
    theme = next(f for f in FACETS if f.name == "theme")
    assert [v for v, _ in year.order({"2019": 9, "2024": 1, "2021": 5})] == [
        "2024",
        "2021",
        "2019",
    ]
    assert [v for v, _ in theme.order({"b": 2, "a": 2, "c": 7})] == ["c", "a", "b"]
    assert year.valid("2024") and not year.valid("24") and not year.valid("2024x")
