"""PNG writer: the SVG drawing rasterised by CairoSVG (pip install cairosvg) or, failing that, headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import UsageError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
MAX_PIXELS = 120_000_000  # ~480 MB of RGBA: beyond it, ask for --depth or SVG instead
CAIRO_SIDE = 32_000       # cairo's image surfaces stop at 32,767 pixels a side: taller drawings are scaled to fit
BROWSER_SIDE = 16_384     # Chromium's largest screenshot side


def find_browser() -> str | None:
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def render(svg_text: str, width: float, height: float) -> bytes:
    """PNG bytes of ``svg_text`` at its own size (width x height pixels)."""
    if width * height > MAX_PIXELS:
        raise UsageError(f"the drawing is {width:,.0f} x {height:,.0f} pixels, too large for a PNG; use --depth to "
                         f"close blocks, or --format svg or html")
    try:
        import cairosvg
    except (ImportError, OSError):  # OSError: the Python package is there but the cairo library is not
        cairosvg = None
    side = max(width, height)
    if cairosvg is not None:
        scale = min(1.0, CAIRO_SIDE / side)
        if scale < 0.5:
            raise UsageError(f"the drawing is {side:,.0f} pixels long, too long for a PNG; use --depth to close "
                             f"blocks, or --format svg or html")
        return cairosvg.svg2png(bytestring=svg_text.encode("utf-8"), scale=scale)
    browser = find_browser()
    if browser is None:
        raise UsageError("--format png needs CairoSVG (pip install cairosvg) or Chromium/Chrome on the PATH; "
                         "--format svg and html need neither")
    if side > BROWSER_SIDE:
        raise UsageError(f"the drawing is {side:,.0f} pixels long, more than Chromium can rasterise; use --depth, "
                         f"install CairoSVG (pip install cairosvg), or use --format svg or html")
    return _screenshot(browser, svg_text, width, height)


def _screenshot(browser: str, svg_text: str, width: float, height: float) -> bytes:
    with tempfile.TemporaryDirectory(prefix="paramcalc-png-") as tmp:
        page = Path(tmp) / "drawing.svg"
        page.write_text(svg_text, encoding="utf-8")
        out = Path(tmp) / "drawing.png"
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   "--hide-scrollbars", f"--user-data-dir={tmp}/profile", f"--screenshot={out}",
                   f"--window-size={int(width) + 1},{int(height) + 1}", page.as_uri()]
        try:
            subprocess.run(command, capture_output=True, timeout=120, check=False)
        except subprocess.TimeoutExpired:
            raise UsageError(f"{browser} took over 120 s to rasterise the drawing; try --format svg") from None
        if not out.is_file():
            raise UsageError(f"{browser} did not write a PNG; try --format svg")
        return out.read_bytes()
