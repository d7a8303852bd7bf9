"""The search UI clicked in a real headless Chromium: what a youth officer does."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from .conftest import check_accessibility

pytestmark = pytest.mark.browser

MAX_TABS = 80  # keyboard test: bound on Tab presses before a facet must have focus


def _go(page: Page, path: str) -> None:
    page.goto(page.base + path)  # type: ignore[attr-defined]


def _params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _total(page: Page) -> int:
    return int(re.match(r"\s*(\d+)", page.locator("#resultaten-kop").inner_text()).group(1))


def _facet_link(page: Page, facet: str, label: str):
    return page.locator(f"#facet-{facet} a[aria-label^='{label},']")


def _facet_count(page: Page, facet: str, label: str) -> int:
    text = _facet_link(page, facet, label).get_attribute("aria-label")
    return int(re.search(r", (\d+) document", text).group(1))


def test_type_a_query_and_submit(page, artifacts):
    _go(page, "/")
    page.get_by_label("Zoek in de kennisbank").fill("jeugdraden")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=jeugdraden"))
    expect(page.locator("#resultaten-kop")).to_contain_text("voor")
    assert _total(page) > 0
    expect(page.locator(".hit mark").first).to_be_visible()
    page.screenshot(path=str(artifacts / "zoekpagina.png"), full_page=True)
    check_accessibility(page)


def test_click_a_facet_value_shows_count_and_chip(page):
    _go(page, "/?q=jeugd")
    expected = _facet_count(page, "type", "Tool / methodiek")
    _facet_link(page, "type", "Tool / methodiek").click()
    page.wait_for_url(re.compile(r"type=methodiek"))
    assert _total(page) == expected
    expect(page.locator(".chips")).to_contain_text("Type: Tool / methodiek")
    expect(_facet_link(page, "type", "Tool / methodiek")).to_have_attribute("aria-current", "true")


def test_two_values_in_one_facet_combine_with_or(page):
    _go(page, "/")
    first = _facet_count(page, "type", "Tool / methodiek")
    second = _facet_count(page, "type", "Praktijkvoorbeeld")
    _facet_link(page, "type", "Tool / methodiek").click()
    page.wait_for_url(re.compile(r"type=methodiek"))
    _facet_link(page, "type", "Praktijkvoorbeeld").click()
    page.wait_for_url(re.compile(r"type=praktijkvoorbeeld"))
    assert _params(page)["type"] == ["methodiek", "praktijkvoorbeeld"]
    assert _total(page) == first + second
    expect(page.locator(".chips li")).to_have_count(3)  # two chips and "alles wissen"


def test_remove_a_chip(page):
    _go(page, "/?q=jeugd&type=methodiek&theme=participatie")
    page.get_by_label("Verwijder filter Type: Tool / methodiek").click()
    page.wait_for_url(lambda url: "type=" not in url)
    assert _params(page) == {"q": ["jeugd"], "theme": ["participatie"]}
    page.get_by_role("link", name="alles wissen").click()
    page.wait_for_url(lambda url: "theme=" not in url)
    assert _params(page) == {"q": ["jeugd"]}


def test_sort_by_date(page):
    _go(page, "/?q=participatie")
    page.get_by_role("link", name="nieuwste eerst").click()
    page.wait_for_url(re.compile(r"sort=date"))
    dates = page.locator(".hit .meta time").evaluate_all(
        "els => els.map(e => e.getAttribute('datetime'))"
    )
    assert len(dates) >= 5 and dates == sorted(dates, reverse=True)


def test_page_two_and_back(page):
    _go(page, "/?q=jeugd")
    first_titles = page.locator(".hit h2").all_inner_texts()
    page.get_by_role("link", name="Pagina 2", exact=True).click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.locator("ol.hits")).to_have_attribute("start", "11")
    assert page.locator(".hit h2").all_inner_texts() != first_titles
    page.go_back()
    page.wait_for_url(lambda url: "page=2" not in url)
    assert page.locator(".hit h2").all_inner_texts() == first_titles
    page.go_forward()
    page.wait_for_url(re.compile(r"page=2"))


def test_open_a_document_and_its_similar_documents(page):
    _go(page, "/?q=jeugdraad")
    title = page.locator(".hit h2 a").first.inner_text()
    page.locator(".hit h2 a").first.click()
    page.wait_for_url(re.compile(r"/doc/"))
    expect(page.locator("h1")).to_have_text(title)
    expect(page.get_by_role("heading", name=re.compile("Opgeslagen versie"))).to_be_visible()
    similar = page.locator(".vergelijkbaar a").first
    other = similar.inner_text()
    similar.click()
    page.wait_for_url(re.compile(r"/doc/"))
    expect(page.locator("h1")).to_have_text(other)
    check_accessibility(page)


def test_zero_results_page(page):
    _go(page, "/?type=filmpje")
    page.get_by_label("Zoek in de kennisbank").fill("qwxzyv onvindbaar")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Geen documenten gevonden")).to_be_visible()
    expect(page.locator(".leeg")).to_contain_text("Controleer de spelling")
    page.get_by_role("link", name="Wis alle filters").click()
    page.wait_for_url(lambda url: "type=" not in url)
    check_accessibility(page)


def test_script_query_does_not_execute(page):
    payload = "<script>window.__xss = 1</script><img src=x onerror='window.__xss = 2'>"
    _go(page, "/")
    page.get_by_label("Zoek in de kennisbank").fill(payload)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q="))
    assert page.evaluate("window.__xss") is None
    expect(page.locator("#resultaten-kop q")).to_have_text(payload)
    expect(page.get_by_label("Zoek in de kennisbank")).to_have_value(payload)


def test_keyboard_only_navigation_to_a_facet(page):
    _go(page, "/?q=jeugd")
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('#facet-type a')"):
            break
    else:
        pytest.fail(f"no type facet value reached in {MAX_TABS} Tab presses")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "keyboard focus must be visible"
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"type="))
    expect(page.locator(".chips")).to_contain_text(label.split(",")[0])


def test_long_facet_more_and_type_to_filter(page):
    _go(page, "/")
    facet = page.locator("#facet-theme")
    hidden_value = facet.locator("details.meer li").first
    expect(hidden_value).to_be_hidden()
    facet.get_by_text("meer tonen").click()
    expect(hidden_value).to_be_visible()
    name = hidden_value.get_attribute("data-waarde")
    box = facet.get_by_label("Zoek in thema")
    box.fill(name)
    visible = facet.locator("li[data-waarde]:visible")
    assert all(name in v for v in visible.evaluate_all("els => els.map(e => e.dataset.waarde)"))
    expect(visible.first).to_be_visible()


def test_year_range_and_sources_page(page):
    _go(page, "/")
    page.get_by_label("Van jaar", exact=True).fill("2020")
    page.get_by_label("Tot en met jaar", exact=True).fill("2022")
    page.get_by_role("button", name="Toepassen").click()
    page.wait_for_url(re.compile(r"year_from=2020&year_to=2022"))
    years = page.locator(".hit .meta time").evaluate_all(
        "els => els.map(e => +e.getAttribute('datetime').slice(0, 4))"
    )
    assert years and all(2020 <= y <= 2022 for y in years)
    page.get_by_role("link", name="Bronnen").click()
    expect(page.get_by_role("heading", name="Bronnen")).to_be_visible()
    expect(page.locator("table.bronnen tbody tr")).to_have_count(4)
    check_accessibility(page)
