"""A fresh machine: the README's test command without a Chromium gives skips with one
clear reason, not errors; with KENNISBANK_REQUIRE_BROWSER=1 (as in CI) it fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _pytest_browser(**env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KENNISBANK_")}
    cmd = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"]
    cmd.append(str(REPO / "tests" / "browser"))
    return subprocess.run(
        cmd, cwd=REPO, env=environ | env, capture_output=True, text=True, timeout=300
    )


def test_browser_tests_skip_without_chromium():
    proc = _pytest_browser(KENNISBANK_CHROMIUM="/nonexistent/chromium")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert " skipped" in proc.stdout and "error" not in proc.stdout.lower()
    reasons = {line for line in proc.stdout.splitlines() if line.startswith("SKIPPED")}
    # One reason, reported once per place that skips (each browser test module).
    assert reasons and all("no Chromium found (/nonexistent/chromium)" in r for r in reasons)


def test_browser_tests_fail_without_chromium_when_required():
    proc = _pytest_browser(
        KENNISBANK_CHROMIUM="/nonexistent/chromium", KENNISBANK_REQUIRE_BROWSER="1"
    )
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "KENNISBANK_REQUIRE_BROWSER=1 but no Chromium found" in proc.stdout
