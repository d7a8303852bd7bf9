"""Browser-test fixtures: the real app served by waitress on 127.0.0.1 (a free port)
over the session's sample data, Debian's Chromium driven by Playwright (never a
downloaded browser), axe-core from npm served by the test server, and a folder for
artifacts (screenshots) under `test-artifacts/`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import send_file
from playwright.sync_api import Page, sync_playwright

from search_app import create_app

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("KENNISBANK_CHROMIUM", "/usr/bin/chromium")
# Where .ci/run installs the npm package axe-core; override with KENNISBANK_AXE_JS.
AXE_DEFAULT = Path.home() / ".cache" / "kennisbank-npm" / "node_modules" / "axe-core" / "axe.min.js"
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


def axe_path() -> Path:
    path = Path(os.environ.get("KENNISBANK_AXE_JS") or AXE_DEFAULT)
    if not path.is_file():
        raise FileNotFoundError(
            f"axe-core not found at {path}: run `npm install --prefix "
            f"{AXE_DEFAULT.parents[2]} axe-core` (as .ci/run does) or set KENNISBANK_AXE_JS"
        )
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
def browser_context():
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        context = pw.chromium.launch_persistent_context(
            profile,  # a fresh user-data-dir
            executable_path=CHROMIUM,
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
