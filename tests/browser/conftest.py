"""Browser-test fixtures: the real app served by waitress on 127.0.0.1 (a free port)
over the session's sample data, a system Chromium driven by Playwright (never a
downloaded browser), axe-core from the pip package axe-playwright-python (which bundles
axe.min.js) served by the test server, and a folder for artifacts (screenshots) under
`test-artifacts/`.

Without a Chromium the browser tests skip with one reason, unless
KENNISBANK_REQUIRE_BROWSER=1 (CI sets it): then they fail, so CI never skips them.
KENNISBANK_CHROMIUM names the browser to use (a path or a command name)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest
from flask import send_file
from playwright.sync_api import Page, sync_playwright

from search_app import create_app

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


def find_chromium() -> str | None:
    """$KENNISBANK_CHROMIUM (a path or a command), else the first Chromium on PATH."""
    wanted = os.environ.get("KENNISBANK_CHROMIUM")
    for name in (wanted,) if wanted else CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_required() -> bool:
    return os.environ.get("KENNISBANK_REQUIRE_BROWSER") == "1"


def _missing_reason() -> str:
    where = os.environ.get("KENNISBANK_CHROMIUM") or ", ".join(CHROMIUM_NAMES)
    return f"no Chromium found ({where}): browser tests need one (Debian: apt-get install chromium)"


def pytest_collection_modifyitems(config, items) -> None:
    """Without a Chromium (and not required), skip this folder's tests, one reason."""
    if find_chromium() is not None or browser_required():
        return
    here = Path(__file__).resolve().parent
    skip = pytest.mark.skip(reason=_missing_reason())
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def chromium() -> str:
    """The browser, checked before anything is built for the browser tests."""
    found = find_chromium()
    if found is None:
        pytest.fail(f"KENNISBANK_REQUIRE_BROWSER=1 but {_missing_reason()}", pytrace=False)
    return found


def axe_path() -> Path:
    """axe.min.js: $KENNISBANK_AXE_JS, else the copy bundled in axe-playwright-python."""
    override = os.environ.get("KENNISBANK_AXE_JS")
    path = Path(override) if override else Path(str(files("axe_playwright_python") / "axe.min.js"))
    if not path.is_file():
        raise FileNotFoundError(f"axe-core not found at {path}: pip install -e '.[test]'")
    return path


@pytest.fixture(scope="session")
def live_server(sample_data, serve) -> Iterator[str]:
    """The real app with waitress on 127.0.0.1; axe-core is served at /_test/axe.js so
    the page loads it as a same-origin script under the real CSP."""
    app = create_app({"DATA_DIR": str(sample_data)})
    axe = axe_path()
    app.add_url_rule("/_test/axe.js", "axe", lambda: send_file(axe, mimetype="text/javascript"))
    with serve(app, threads=2) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser_context(chromium):
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        context = pw.chromium.launch_persistent_context(
            profile,  # a fresh user-data-dir
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
            locale="nl-BE",
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context, live_server) -> Iterator[Page]:
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    page.base = live_server  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        page.close()
    assert not errors, errors


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def check_accessibility(page: Page) -> None:
    """Run axe-core on the page; fail on serious or critical violations."""
    page.add_script_tag(url="/_test/axe.js")
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }"
    )
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, bad
