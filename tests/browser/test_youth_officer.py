"""The search page a youth officer reaches for first, in headless Chromium: results
first on a phone and at 200 % zoom, filters behind "Filters (n)" with or without
JavaScript, suggestions walked by keyboard, back to the results from a document, skip
links, a visible focus, print, no third-party request on a film page, and axe-core on
every page type on desktop and mobile. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import check_accessibility

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# 200 % zoom on a 1366×900 screen: the page lays out in half the CSS pixels.
ZOOMED = {"width": 683, "height": 450}
DESKTOP = {"width": 1280, "height": 900}
MAX_TABS = 12


def _go(page: Page, path: str) -> None:
    page.goto(page.base + path)  # type: ignore[attr-defined]


def _first_title_in_view(page: Page, height: int) -> None:
    box = page.locator(".hit h2 a").first.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box


def test_phone_shows_results_first_behind_a_filters_button(page, artifacts):
    page.set_viewport_size(PHONE)
    _go(page, "/?q=jeugdraad+oprichten&type=methodiek")
    _first_title_in_view(page, PHONE["height"])
    panel = page.locator("details.filterpaneel")
    expect(panel).not_to_have_attribute("open", "")
    summary = panel.locator("> summary")
    expect(summary).to_have_text("Filters (1)")
    expect(page.locator("#facet-type")).to_be_hidden()
    banner = page.locator(".banner").bounding_box()
    line = float(
        page.evaluate("parseFloat(getComputedStyle(document.querySelector('.banner')).lineHeight)")
    )
    assert banner["height"] <= line * 1.2 + 16, "the sample banner is one line"
    page.screenshot(path=str(artifacts / "zoekpagina-mobiel-390x844.png"))
    summary.click()
    expect(page.locator("#facet-type")).to_be_visible()
    check_accessibility(page)


def test_200_percent_zoom_shows_the_first_result(page, artifacts):
    page.set_viewport_size(ZOOMED)
    _go(page, "/?q=jeugdraad+oprichten")
    _first_title_in_view(page, ZOOMED["height"])
    page.screenshot(path=str(artifacts / "zoekpagina-zoom-200.png"))


def test_desktop_shows_filters_beside_the_results(page, artifacts):
    page.set_viewport_size(DESKTOP)
    _go(page, "/?q=jeugdraad")
    expect(page.locator("#facet-site")).to_be_visible()
    expect(page.locator("details.filterpaneel > summary")).to_be_hidden()
    expect(page.locator("#facet-site")).to_contain_text("Bataljong")
    _first_title_in_view(page, DESKTOP["height"])
    page.screenshot(path=str(artifacts / "zoekpagina-desktop.png"))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_works_without_javascript(page, viewport):
    page.route(re.compile(r".*\.js(\?.*)?$"), lambda route: route.abort())
    page.set_viewport_size(viewport)
    _go(page, "/?q=jeugdraad")
    assert page.evaluate("document.getElementById('q').getAttribute('role')") is None
    facet = page.locator("#facet-type")
    if viewport is PHONE:
        expect(facet).to_be_hidden()
        _first_title_in_view(page, viewport["height"])
        page.locator("details.filterpaneel > summary").click()
    expect(facet).to_be_visible()
    facet.locator("a").first.click()
    page.wait_for_url(re.compile(r"type="))
    expect(page.locator(".chips")).to_contain_text("Type:")


def test_keyboard_walk_through_suggestions(page):
    _go(page, "/")
    box = page.locator("#q")
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    else:
        pytest.fail("the search box is not reachable by Tab")
    expect(box).to_have_attribute("role", "combobox")
    expect(box).to_have_attribute("aria-expanded", "false")
    page.keyboard.type("jeugdr", delay=30)
    listbox = page.get_by_role("listbox", name="Suggesties")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".zoekveld [role=status]")).to_contain_text("suggesties beschikbaar")
    options = listbox.get_by_role("option")
    assert options.count() >= 3
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "suggestie-0")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "suggestie-1")
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    page.keyboard.press("ArrowUp")
    expect(box).to_have_attribute("aria-activedescendant", "suggestie-0")
    check_accessibility(page)
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("jeugdr")
    page.keyboard.press("ArrowDown")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-activedescendant", "suggestie-0")
    first = options.nth(0).locator("span").first.inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"(theme=|audience=|/doc/|q=)"))
    if "/doc/" in page.url:
        expect(page.locator("h1")).to_have_text(first)
    else:
        assert first.lower().replace(" ", "+") in page.url.lower()


def test_enter_without_a_chosen_suggestion_searches_what_was_typed(page):
    _go(page, "/")
    page.locator("#q").fill("speelstraat")
    expect(page.get_by_role("listbox", name="Suggesties")).to_be_visible()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=speelstraat"))


def test_back_to_results_and_next_hit(page, artifacts):
    _go(page, "/?q=jeugdraad&per_page=10")
    titles = page.locator(".hit h2 a").all_inner_texts()
    page.locator("#hit-3 h2 a").click()
    page.wait_for_url(re.compile(r"/doc/.*pos=3"))
    expect(page.locator("h1")).to_have_text(titles[2])
    expect(page.locator("#q")).to_have_value("jeugdraad")
    page.screenshot(path=str(artifacts / "documentpagina.png"), full_page=True)
    check_accessibility(page)
    page.get_by_role("link", name=re.compile("Volgend resultaat")).click()
    page.wait_for_url(re.compile(r"pos=4"))
    expect(page.locator("h1")).to_have_text(titles[3])
    page.get_by_role("link", name=re.compile("Vorig resultaat")).click()
    page.wait_for_url(re.compile(r"pos=3"))
    page.get_by_role("link", name="← Terug naar resultaten").click()
    page.wait_for_url(re.compile(r"/\?q=jeugdraad.*#hit-3$"))
    assert page.locator(".hit h2 a").all_inner_texts() == titles
    box = page.locator("#hit-3").bounding_box()
    assert -1 <= box["y"] < page.viewport_size["height"]  # scrolled to it (sub-pixel)


def test_skip_links_reach_results_and_filters(page):
    _go(page, "/?q=jeugd")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Naar de resultaten")
    page.keyboard.press("Enter")
    for _ in range(6):  # past the sort and page-size links at most
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('#hit-1 h2')"):
            break
    else:
        pytest.fail("the first result is not reached within 6 Tabs after the skip link")
    _go(page, "/?q=jeugd")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Naar de filters")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('.facetten')")


_CONTRAST = """el => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05); };
  const s = getComputedStyle(el);
  const page = 'rgb(255, 255, 255)';
  const marker = s.backgroundColor !== 'rgba(0, 0, 0, 0)' ? s.backgroundColor : s.outlineColor;
  const field = s.backgroundColor === 'rgba(0, 0, 0, 0)' ? page : s.backgroundColor;
  return {marker: ratio(marker, page), text: ratio(s.color, field),
          underline: ratio(s.textDecorationColor, marker)};
}"""


def test_focus_indicator_contrasts_at_least_3_to_1(page):
    _go(page, "/?q=jeugd")
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('.hit h2')"):
            break
    ratios = page.locator(":focus").evaluate(_CONTRAST)
    # A yellow field on white is faint on its own; its black underline and the black
    # text on it carry the contrast.
    assert ratios["underline"] >= 3 and ratios["text"] >= 4.5, ratios
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_film_page_requests_nothing_from_a_third_party(page):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    _go(page, "/?type=filmpje")
    page.locator(".hit h2 a").first.click()
    page.wait_for_url(re.compile(r"/doc/"))
    expect(page.locator(".film h2")).to_contain_text("Video")
    expect(page.locator(".film a.filmlink").first).to_have_attribute(
        "href", re.compile(r"^https://(www\.youtube\.com/watch\?v=|vimeo\.com/)")
    )
    page.wait_for_load_state("networkidle")
    assert requests and all(u.startswith(page.base) for u in requests), requests  # type: ignore[attr-defined]
    check_accessibility(page)


def test_a_publication_and_its_pdf_are_one_hit(page, artifacts):
    _go(page, "/?q=handboek+jeugdraad")
    titles = page.locator(".hit h2 a").all_inner_texts()
    assert titles.count("Handboek voor de jeugdraad: van advies tot actie") == 1
    hit = page.locator(".hit", has=page.locator(".bijlage .label.pdf")).first
    expect(hit).to_be_visible()
    expect(hit.locator(".bijlage a")).to_contain_text("pagina")
    hit.screenshot(path=str(artifacts / "pdf-hit.png"))
    hit.locator(".bijlage a").click()
    page.wait_for_url(re.compile(r"/doc/"))
    expect(page.locator(".opgeslagen h3").first).to_be_visible()
    page.screenshot(path=str(artifacts / "documentpagina-pdf.png"), full_page=True)


def test_print_shows_content_not_controls(page):
    _go(page, "/?q=jeugdraad")
    page.emulate_media(media="print")
    expect(page.locator(".zoekbalk")).to_be_hidden()
    expect(page.locator(".filterpaneel")).to_be_hidden()
    expect(page.locator(".hit h2 a").first).to_be_visible()
    page.emulate_media(media="screen")


PAGE_TYPES = [
    "/?q=jeugdraad",
    "/?q=qwxzyv+onvindbaar",
    "/?q=jeugd&sort=sideways",
    "/?q=jeugdraad&page=99",
    "/zoektips",
    "/bronnen",
    "/bestaat-niet",
]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_on_every_page_type(page, viewport):
    page.set_viewport_size(viewport)
    paths = list(PAGE_TYPES)
    for query in ("q=jeugdraad", "q=handboek+jeugdraad", "type=filmpje"):
        _go(page, "/?" + query)
        if query.startswith("q=handboek"):
            paths.append(
                page.locator(".hit", has=page.locator(".label.pdf"))
                .locator("h2 a")
                .first.get_attribute("href")
            )
        else:
            paths.append(page.locator(".hit h2 a").first.get_attribute("href"))
    for path in paths:
        _go(page, path)
        check_accessibility(page)
