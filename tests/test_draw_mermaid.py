"""Mermaid output through Mermaid's own parser and renderer (mermaid 11 from npm, run in headless Chromium).

Skipped without chromium, chromedriver, selenium, or a mermaid.min.js: PARAMCALC_MERMAID_JS names one, otherwise
`npm pack mermaid@11` fetches it (CI has npm). tests/test_draw.py checks the grammar without a browser.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest
from conftest import ARCH

from paramcalc import analyze_file
from paramcalc.draw import mermaid, model

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

BROWSER = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(BROWSER is None or DRIVER is None, reason="chromium and chromedriver are not installed")
BUNDLED = sorted(p.stem for p in ARCH.glob("*.yaml"))


@pytest.fixture(scope="module")
def mermaid_js(tmp_path_factory):
    given = os.environ.get("PARAMCALC_MERMAID_JS")
    if given:
        return Path(given)
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed and PARAMCALC_MERMAID_JS is not set")
    folder = tmp_path_factory.mktemp("mermaid")
    try:
        out = subprocess.run(["npm", "pack", "mermaid@11", "--silent"], cwd=folder, capture_output=True, text=True,
                             timeout=180)
    except subprocess.TimeoutExpired:
        pytest.skip("npm pack mermaid@11 took too long")
    tarballs = list(folder.glob("mermaid-*.tgz"))
    if out.returncode != 0 or not tarballs:
        pytest.skip(f"npm pack mermaid@11 failed: {out.stderr.strip()[:200]}")
    with tarfile.open(tarballs[0]) as tar:
        member = tar.getmember("package/dist/mermaid.min.js")
        with tar.extractfile(member) as src:
            target = folder / "mermaid.min.js"
            target.write_bytes(src.read())
    return target


@pytest.fixture(scope="module")
def mermaid_page(mermaid_js):
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="paramcalc-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_script_timeout(120)
    page = Path(profile) / "mermaid.html"
    page.write_text(f'<!DOCTYPE html><html><body><script src="{mermaid_js.as_uri()}"></script>'
                    "<script>mermaid.initialize({startOnLoad: false});</script></body></html>")
    driver.get(page.as_uri())
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def run(driver, call, text):
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"{call}.then(r => done(['ok', r && r.svg ? r.svg.length : 0]), e => done(['error', String(e && e.message || e)]));",
        text)


def test_mermaids_parser_rejects_what_it_should(mermaid_page):
    assert run(mermaid_page, "mermaid.parse(arguments[0])", 'flowchart TB\n  n0["a"] -->\n')[0] == "error"


@pytest.mark.parametrize("name", BUNDLED)
def test_mermaid_of_every_bundled_architecture_parses_in_mermaid(mermaid_page, name):
    text = mermaid.render(model.build(analyze_file(name), 1))
    assert run(mermaid_page, "mermaid.parse(arguments[0])", text) == ["ok", 0]


@pytest.mark.parametrize("name", ["googlenet", "unet", "resnet50"])
def test_mermaid_renders_blocks_and_merges(mermaid_page, name):
    text = mermaid.render(model.build(analyze_file(name), 1), receptive_field=True)
    status, size = run(mermaid_page, f"mermaid.render('d_{name}', arguments[0])", text)
    assert status == "ok" and size > 10_000
