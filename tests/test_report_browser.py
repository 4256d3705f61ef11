"""The HTML report as a user sees it, in headless Chromium: no console errors, a node per visible layer, blocks that
open on a click, charts and a screenshot that are not blank, and large graphs that open in seconds.

Needs Debian's chromium and chromium-driver and the selenium package (.ci/run installs them); skipped without them.
Set PARAMCALC_SCREENSHOTS=DIR to keep the screenshots for a look.
"""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
import time
import zlib
from pathlib import Path

import pytest

from paramcalc import analyze_file
from paramcalc.draw import model
from paramcalc.report import page

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

BROWSER = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(BROWSER is None or DRIVER is None,
                                reason="chromium and chromedriver are not installed (apt-get install chromium "
                                       "chromium-driver)")


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="paramcalc-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                "--window-size=1400,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def open_page(driver, path: Path, timeout=60.0):
    """Load a page, wait until its script says it is ready, and return (seconds, console messages)."""
    started = time.perf_counter()
    driver.get(path.as_uri())
    state = None
    while time.perf_counter() - started < timeout:
        state = driver.execute_script("return document.body && document.body.getAttribute('data-ready')")
        if state:
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    logs = driver.get_log("browser")
    assert state == "1", f"page not ready after {seconds:.1f} s: {state}; console: {logs}"
    return seconds, logs


def node_ids(driver, graph=0):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.graph')[arguments[0]].querySelectorAll('svg g.node'))"
        ".map(e => e.getAttribute('data-id'))", graph)


def png_pixels(data: bytes):
    """Width, height and rows of RGB(A) pixels of an 8-bit, non-interlaced PNG (what Chromium's screenshots are)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, bits, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert bits == 8 and colour in (2, 6) and interlace == 0
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def screenshot_is_not_blank(driver, name):
    data = driver.get_screenshot_as_png()
    keep = os.environ.get("PARAMCALC_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / f"{name}.png").write_bytes(data)
    width, height, channels, rows = png_pixels(data)
    colours, inked = set(), 0
    for row in rows[::4]:
        for x in range(0, width * channels, channels * 4):
            pixel = row[x:x + 3]
            colours.add(pixel)
            inked += pixel != b"\xff\xff\xff"
    samples = len(rows[::4]) * len(range(0, width * channels, channels * 4))
    assert len(colours) > 30 and inked / samples > 0.05, (len(colours), inked / samples)


def expanded_ids(analysis, ids, block):
    """What the graph shows after opening ``block``: its place taken by its children (groups one level down or
    layers), in the order of the layers."""
    level = next(r.scope for r in analysis.layers if block in [g for g, _ in r.scope])
    level = [g for g, _ in level].index(block)
    children = []
    for r in analysis.layers:
        scope = [g for g, _ in r.scope]
        if len(scope) > level and scope[level] == block:
            child = scope[level + 1] if len(scope) > level + 1 else r.name
            if child not in children:
                children.append(child)
    at = ids.index(block)
    return ids[:at] + children + ids[at + 1:]


@pytest.mark.parametrize("name", ["resnet50", "googlenet", "densenet121", "unet"])
def test_report_opens_cleanly_with_a_node_per_visible_layer_and_blocks_that_open(browser, tmp_path, name):
    a = analyze_file(name)
    path = tmp_path / f"{name}.html"
    path.write_text(page.report(a, depth=1), encoding="utf-8")
    _, logs = open_page(browser, path)
    assert [entry for entry in logs if entry["level"] in ("SEVERE", "WARNING")] == []
    ids = node_ids(browser)
    assert ids == [n.id for n in model.build(a, 1).nodes]
    blocks = browser.find_elements(By.CSS_SELECTOR, ".graph svg g.node.block")
    if blocks:
        block = blocks[0].get_attribute("data-id")
        blocks[0].click()
        assert node_ids(browser) == expanded_ids(a, ids, block)
    # hover shows the receptive field
    conv = browser.find_element(By.CSS_SELECTOR, ".graph svg g.node.f-conv")
    ActionChains(browser).move_to_element(conv).perform()
    tooltip = browser.find_element(By.CSS_SELECTOR, ".graph-tooltip")
    assert tooltip.is_displayed() and "receptive field" in tooltip.text
    # the three charts drew something
    inked = browser.execute_script("""
        return Array.from(document.querySelectorAll('canvas')).map(c => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; });""")
    assert len(inked) == 3 and all(n > 500 for n in inked)
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot_is_not_blank(browser, name)


def test_layer_table_sorts_by_a_column(browser, tmp_path):
    a = analyze_file("resnet50")
    path = tmp_path / "resnet50.html"
    path.write_text(page.report(a), encoding="utf-8")
    open_page(browser, path)
    header = browser.find_element(By.CSS_SELECTOR, "table.layers th[data-key='params']")
    browser.execute_script("arguments[0].scrollIntoView()", header)
    header.click()
    first = browser.find_element(By.CSS_SELECTOR, "table.layers tbody tr").get_attribute("data-name")
    assert a.layer(first).params == max(r.params for r in a.layers) == 2_359_296  # 512 x 512 x 3 x 3 in layer4


def test_group_title_closes_the_group(browser, tmp_path):
    a = analyze_file("resnet18")
    path = tmp_path / "resnet18.html"
    path.write_text(page.report(a, depth=1), encoding="utf-8")
    open_page(browser, path)
    before = node_ids(browser)
    title = browser.find_element(By.CSS_SELECTOR, ".graph svg g.group[data-group='layer1'] text")
    title.click()
    inside = [i for i, n in enumerate(before) if n.startswith("layer1.")]
    assert inside and node_ids(browser) == before[:inside[0]] + ["layer1"] + before[inside[-1] + 1:]


@pytest.mark.parametrize("name", ["resnet152", "densenet201"])
def test_large_graphs_open_in_seconds_at_full_depth(browser, tmp_path, name):
    a = analyze_file(name)
    path = tmp_path / f"{name}.html"
    path.write_text(page.drawing(a, depth=None), encoding="utf-8")
    seconds, logs = open_page(browser, path)
    assert [entry for entry in logs if entry["level"] == "SEVERE"] == []
    assert len(node_ids(browser)) == len(a.layers) + len(a.inputs)
    assert seconds < 30  # loose: about 3 s on two shared cores; only a blow-up breaks it
