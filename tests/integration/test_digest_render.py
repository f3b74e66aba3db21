"""The digest preview rendered by headless Chromium (Debian's chromium package): a real screenshot, and
no console errors (script, CSP or load failures are logged as CONSOLE lines with --enable-logging)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is not installed (`sudo make system-packages` installs Debian's chromium)")


def screenshot(html: Path, png: Path, profile: Path, size: str = "800,2000") -> str:
    """Chromium's stderr after it wrote a screenshot of the file; no network, no sandbox (tests run as root)."""
    result = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", f"--screenshot={png}",
         f"--window-size={size}", html.resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stderr


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def test_console_errors_are_seen(tmp_path):
    """The check below means something: a page that logs does show up."""
    page = tmp_path / "canary.html"
    page.write_text('<!doctype html><p>x</p><script>console.error("canary-7")</script>', encoding="utf-8")
    stderr = screenshot(page, tmp_path / "canary.png", tmp_path / "profile", size="400,300")
    assert any("canary-7" in line for line in console_lines(stderr)), stderr[-2000:]


def test_preview_renders_in_chromium_without_console_errors(settings, tmp_path):
    from PIL import Image

    from tests.digest_week import TITLES, WEEK, build_digest_week

    build_digest_week(settings)
    preview = tmp_path / "digest.html"
    env = {**os.environ, "NEWSMON_DATA_DIR": str(settings.data_dir)}
    cli = subprocess.run([sys.executable, "-m", "newsmon", "digest", "--week", WEEK, "--preview", str(preview)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert cli.returncode == 0, cli.stderr
    html = preview.read_text(encoding="utf-8")
    assert TITLES["PORT"] in html and html.count('src="data:image/png;base64,') == 2

    png = tmp_path / "digest.png"
    stderr = screenshot(preview, png, tmp_path / "profile")
    assert console_lines(stderr) == []
    assert png.stat().st_size > 50_000
    with Image.open(png) as image:
        assert image.size == (800, 2000)
        # text, two charts and coloured rules: many colours, not a blank or error page
        assert len(image.convert("RGB").getcolors(maxcolors=1_000_000)) > 500
