"""The run explorer of the shared smoke run (results/explorer/index.html), in a real browser.

The page's data is checked against the run's tables, then headless Chromium (driven by
Selenium through Debian's chromedriver, offline) opens it, picks a pair, moves the lambda
slider with the keyboard and must show the metrics table's row for that lambda and a
changed picture; one screenshot per tab. Without Chromium, chromedriver or Selenium the
browser test is skipped with the reason, unless TILTING_REQUIRE_BROWSER=1 (set by
.ci/run): then it fails. EXPLORER_SCREENSHOTS=DIR keeps the screenshots there.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import CHROMIUM_FLAGS, browser_missing, find_chromedriver, find_chromium, run_snakemake, smoke_config

from tilting import explorer

WINDOW = (1400, 1000)
WAIT_S = 30


def page_path(workdir: Path) -> Path:
    return workdir / "results" / "explorer" / "index.html"


def page_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', html, re.S)
    assert match, "the page has no data element"
    return json.loads(match.group(1))


def png_pixels(data: bytes) -> np.ndarray:
    from matplotlib.image import imread

    return imread(io.BytesIO(data), format="png")[..., :3]


def test_page_is_one_offline_file(smoke_run):
    html = page_path(smoke_run).read_text(encoding="utf-8")
    # three inline scripts (the chart drawer, the data, the explorer), no stylesheet or script from elsewhere
    assert re.findall(r"<script\b[^>]*>", html) == ["<script>", '<script type="application/json" id="explorer-data">', "<script>"]
    assert not re.search(r"<link\b", html)
    assert "const Charts" in html  # the chart drawer, inlined
    # small enough for a single-file Snakemake report, where Chromium shows embedded pages up to 2 MB
    size = len(html.encode("utf-8"))
    assert size < 1e6, f"smoke page of {size / 1e6:.2f} MB"


def test_page_data_is_the_runs(smoke_run):
    html = page_path(smoke_run).read_text(encoding="utf-8")
    data = page_data(html)
    metrics = pd.read_csv(smoke_run / "results" / "svm" / "metrics.csv", dtype={"pair": str})
    assert [pair["name"] for pair in data["pairs"]] == ["0v1", "7v9"]
    for pair in data["pairs"]:
        rows = metrics[metrics["pair"] == pair["name"]].sort_values("lam")
        for field in explorer.METRIC_FIELDS:
            assert pair["metrics"][field] == rows[field].tolist(), field
        with np.load(smoke_run / "results" / "svm" / pair["name"] / "projections.npz") as archive:
            y = archive["y_train"]
            coords = archive["coords"]
        counts = explorer.decode_array(pair["histograms"]["counts"])
        np.testing.assert_array_equal(counts.sum(axis=1), y.size)
        shown = explorer.subsample_rows(y, data["settings"]["points_per_class"])
        v = explorer.dequantize(pair["plane"]["v"]).reshape(len(rows), -1)
        np.testing.assert_allclose(v, coords[:, shown, 1], atol=pair["plane"]["v"]["scale"])
        with np.load(smoke_run / "results" / "svm" / pair["name"] / "mirrors.npz") as archive:
            np.testing.assert_array_equal(pair["mirrors"]["distances"], archive["distances"])
    adversarial = pd.read_csv(smoke_run / "results" / "lenet" / "adversarial.csv")
    nets = data["lenet"]["networks"]
    assert [net["name"] for net in nets] == list(dict.fromkeys(adversarial["net"]))
    for net in nets:
        rows = adversarial[adversarial["net"] == net["name"]].sort_values("digit")
        assert [e["l2"] for e in net["examples"]] == rows["l2"].tolist()
        assert [e["target"] for e in net["examples"]] == rows["target"].tolist()


# ---- in the browser --------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through Debian's chromedriver, offline, with the console log kept."""
    chromium = find_chromium()
    driver_binary = find_chromedriver()
    if chromium is None or driver_binary is None:
        browser_missing("Chromium or chromedriver not installed (apt-get install -y chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        browser_missing("Selenium is not installed (pip install -r requirements.txt)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_binary), options=options)
    driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    yield driver
    driver.quit()


def wait_for(driver, condition, message: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S).until(lambda d: condition(d), message)


def renders(driver) -> int:
    return driver.execute_script("return window.explorer.state.renders")


def readout(driver) -> dict[str, tuple[float, str]]:
    """The values shown above the plots: field -> (exact value, displayed text)."""
    cells = driver.execute_script(
        "return Array.from(document.querySelectorAll('#readout td')).map(c => [c.id, c.dataset.value, c.textContent])"
    )
    return {cell_id.removeprefix("readout-"): (float(value), text) for cell_id, value, text in cells}


def assert_readout_is_row(driver, row: pd.Series) -> None:
    shown = readout(driver)
    for field in ("lam", "theta_deg", "d_adv", "err_train", "err_test", "w_norm"):
        assert shown[field][0] == row[field], f"{field}: shown {shown[field][0]!r}, table {row[field]!r}"
    assert shown["theta_deg"][1] == f"{row['theta_deg']:.2f}°"
    assert shown["err_train"][1] == f"{100 * row['err_train']:.2f} %"
    assert shown["err_test"][1] == f"{100 * row['err_test']:.2f} %"


def canvas_image(driver, canvas_id: str, side: int) -> np.ndarray:
    """The grey levels drawn on a canvas, one value per image pixel (canvases scale by an integer)."""
    width, pixels = driver.execute_script(
        "const c = document.getElementById(arguments[0]);"
        "return [c.width, Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)];",
        canvas_id,
    )
    rgba = np.array(pixels, dtype=np.uint8).reshape(width, width, 4)
    step = width // side
    return rgba[step // 2 :: step, step // 2 :: step, 0]


def histogram_drawn(driver) -> dict:
    """The scaled hinge loss drawn (its corner points) and the vertical lines at 0 and d_adv."""
    return driver.execute_script(
        "const plot = document.getElementById('plot-histogram');"
        "return {hinge: JSON.parse(plot.querySelector('#hinge-loss').dataset.points),"
        " lines: Array.from(plot.querySelectorAll('line[data-x]')).map(l => Number(l.dataset.x))};"
    )


def keep_screenshot(path: Path) -> None:
    keep = os.environ.get("EXPLORER_SCREENSHOTS")
    if keep:  # e.g. CI artifacts
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / f"explorer_{path.name}")


def test_explorer_in_chromium(smoke_run, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    metrics = pd.read_csv(smoke_run / "results" / "svm" / "metrics.csv", dtype={"pair": str})
    browser.get(page_path(smoke_run).as_uri())
    wait_for(browser, lambda d: d.execute_script("return document.body.dataset.ready === 'true'"), "page not ready")
    first = metrics[metrics["pair"] == "0v1"].sort_values("lam").reset_index(drop=True)
    assert_readout_is_row(browser, first.iloc[-1])  # opens on the first pair at the largest lambda
    browser.save_screenshot(str(tmp_path / "svm_start.png"))

    # choose a pair in the menu
    before = renders(browser)
    Select(browser.find_element(By.ID, "pair")).select_by_visible_text("7 vs 9")
    wait_for(browser, lambda d: renders(d) > before, "no redraw after choosing 7v9")
    rows = metrics[metrics["pair"] == "7v9"].sort_values("lam").reset_index(drop=True)
    slider = browser.find_element(By.ID, "lambda")
    assert int(slider.get_attribute("max")) == len(rows) - 1
    assert_readout_is_row(browser, rows.iloc[int(slider.get_attribute("value"))])

    # slide with the keyboard to the smallest lambda, then one step up
    with np.load(smoke_run / "results" / "svm" / "7v9" / "mirrors.npz") as archive:
        mirrors = archive["mirrors"]
    side = explorer.square_side(mirrors.shape[-1])
    plane = browser.find_element(By.ID, "plot-plane")
    curves = browser.find_element(By.ID, "plot-curves")
    pictures = []
    for key, expected in ((Keys.HOME, 0), (Keys.ARROW_RIGHT, 1)):
        before = renders(browser)
        slider.send_keys(key)
        wait_for(browser, lambda d: renders(d) > before, f"no redraw after {key!r}")
        assert int(slider.get_attribute("value")) == expected
        row = rows.iloc[expected]
        assert_readout_is_row(browser, row)
        assert browser.find_element(By.ID, "lambda-label").text == f"λ = 10^{row['alpha']:g}"
        # the mirror images and the scaled hinge loss drawn are those of this lambda's model
        for canvas, k in (("mirror-xm", 0), ("mirror-ym", 1)):
            shown = canvas_image(browser, canvas, side)
            np.testing.assert_array_equal(shown, explorer.grey_levels(mirrors[expected, k]).reshape(side, side))
        drawn = histogram_drawn(browser)
        z, loss = np.array(drawn["hinge"]).T
        np.testing.assert_allclose(loss, np.maximum(0, 1 - row["w_norm"] * z))
        assert drawn["lines"] == [0, row["d_adv"]]
        pictures.append((plane.screenshot_as_png, curves.screenshot_as_png))
        browser.save_screenshot(str(tmp_path / f"svm_lambda_{expected}.png"))
    for name, old, new in zip(("tilting plane", "curves against lambda"), *pictures):
        assert old != new, f"the {name} did not change with lambda"
    assert browser.execute_script("return location.hash") == f"#pair=7v9&alpha={rows['alpha'][1]:g}"

    # the LeNet tab: every network's examples drawn, with the table's norms
    browser.find_element(By.ID, "tab-button-lenet").click()
    wait_for(browser, lambda d: d.execute_script("return document.body.dataset.lenetReady === 'true'"), "LeNet tab not drawn")
    assert browser.find_element(By.ID, "tab-svm").get_attribute("hidden") is not None
    adversarial = pd.read_csv(smoke_run / "results" / "lenet" / "adversarial.csv")
    nets = list(dict.fromkeys(adversarial["net"]))
    canvases = browser.find_elements(By.CSS_SELECTOR, "#lenet-networks canvas")
    assert len(canvases) == 3 * len(adversarial)
    for net in nets:
        shown = browser.execute_script(
            f"return Array.from(document.querySelectorAll('#network-{net} td.caption')).map(c => Number(c.dataset.l2))"
        )
        assert shown == adversarial[adversarial["net"] == net].sort_values("digit")["l2"].tolist()
        block = browser.find_element(By.ID, f"network-{net}")
        assert block.is_displayed() and net in block.text
        with np.load(smoke_run / "results" / "lenet" / net / "attack" / "3.npz") as attack:
            for row in ("original", "adversarial"):
                image = explorer.grey_levels(attack[row]).reshape(28, 28)
                np.testing.assert_array_equal(canvas_image(browser, f"lenet-{net}-{row}-3", 28), image)
    browser.save_screenshot(str(tmp_path / "lenet.png"))

    shots = {name: png_pixels((tmp_path / f"{name}.png").read_bytes()) for name in ("svm_lambda_1", "lenet")}
    for name, pixels in shots.items():
        assert pixels.shape[:2] == (WINDOW[1], WINDOW[0]) or pixels.shape[1] == WINDOW[0]
        assert pixels.std() > 0.05, f"{name} screenshot is blank"
        keep_screenshot(tmp_path / f"{name}.png")
    assert not np.array_equal(shots["svm_lambda_1"], shots["lenet"])
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors
    # nothing was fetched: every image is a data: URI (not listed), no script or style file
    fetched = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert [name for name in fetched if not name.startswith("data:")] == []


@pytest.mark.parametrize("kind", ["zip", "html"])
def test_report_carries_the_working_explorer(smoke_run, tiny_mnist, browser, tmp_path, kind):
    """make report's zip (the default), and a single-file HTML report, open the explorer, which works there."""
    from selenium.webdriver.common.by import By

    path = tmp_path / f"report.{kind}"
    result = run_snakemake(smoke_run, smoke_config(*tiny_mnist), "--report", str(path))
    assert result.returncode == 0, result.stderr[-4000:]
    if kind == "zip":
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            pages = [name for name in names if name.endswith("/index.html")]
            assert len(pages) == 1, names
            assert archive.read(pages[0]) == page_path(smoke_run).read_bytes()
            archive.extractall(tmp_path / "unzipped")
        path = tmp_path / "unzipped" / "report" / "report.html"
    browser.get(path.as_uri())
    wait_for(browser, lambda d: d.execute_script("return typeof app !== 'undefined'"), "report not rendered")
    browser.execute_script(
        "const p = Object.keys(results).find(k => k.endsWith('explorer/index.html'));"
        "app.showCategory('Explorer'); app.setView({content: 'html', contentPath: results[p].data_uri, resultPath: p});"
    )
    frame = wait_for(browser, lambda d: d.find_elements(By.TAG_NAME, "iframe"), "the explorer is not shown")[0]
    browser.switch_to.frame(frame)
    try:
        wait_for(browser, lambda d: d.execute_script("return document.body.dataset.ready === 'true'"), "explorer not ready")
        assert browser.find_element(By.ID, "pair").get_attribute("value") == "0"
        assert browser.find_elements(By.CSS_SELECTOR, "#plot-plane circle")
    finally:
        browser.switch_to.default_content()
    shot = tmp_path / f"report_{kind}_explorer.png"
    browser.save_screenshot(str(shot))
    keep_screenshot(shot)
