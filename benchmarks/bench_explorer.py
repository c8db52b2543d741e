"""Benchmark of the run explorer (results/explorer/index.html): its size and how fast it opens.

Builds the page from a finished run's files, as rule explorer does, optionally with the run's
pairs repeated under other pair names up to ``--pairs`` pairs (an estimate of the full run's page
from a run of a few pairs: each pair's data has the same shape), then opens it in headless
Chromium (Selenium, Debian's chromedriver) and prints the page's size by part and the time from
navigation to the first drawn picture (and the page's main-thread CPU time until then: about
what the open takes on an idle machine), to a pair switch and to a lambda step.

    python benchmarks/bench_explorer.py --workdir /tmp/run                # the run's own page
    python benchmarks/bench_explorer.py --workdir /tmp/run --pairs 45     # estimate for 45 pairs
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow" / "scripts"))
sys.path.insert(0, str(REPO / "tests"))

from conftest import CHROMIUM_FLAGS, find_chromedriver, find_chromium  # noqa: E402  (the tests' browser setup)

from tilting import explorer  # noqa: E402
from tilting.settings import all_pairs, parse_pair  # noqa: E402

RESOURCES = REPO / "workflow" / "resources" / "explorer"
WINDOW = "--window-size=1400,1000"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", required=True, help="a finished run (holding results/)")
    parser.add_argument("--pairs", type=int, default=None, help="repeat the run's pairs up to this many pairs")
    parser.add_argument("--repeat", type=int, default=3, help="page opens to time (median printed)")
    parser.add_argument("--keep", default=None, help="write the page built here to this path")
    return parser.parse_args(argv)


def run_settings(workdir: Path) -> dict:
    defaults = yaml.safe_load((REPO / "config.yaml").read_text())["explorer"]
    config = workdir / "config.yaml"
    mine = yaml.safe_load(config.read_text()).get("explorer", {}) if config.exists() else {}
    return {**defaults, **(mine or {})}


def build(workdir: Path, pairs: int | None) -> tuple[str, dict]:
    results = workdir / "results"
    names = sorted(p.name for p in (results / "svm").iterdir() if (p / "projections.npz").exists())
    settings = run_settings(workdir)
    files = {name: (results / "svm" / name / "projections.npz", results / "svm" / name / "mirrors.npz") for name in names}
    views = explorer.read_pair_views(
        results / "svm" / "metrics.csv", files, settings["points_per_class"], settings["histogram_bins"]
    )
    if pairs and pairs > len(views):
        real = {view["name"] for view in views}
        for k, name in enumerate(n for n in all_pairs() if n not in real):
            if len(views) >= pairs:
                break
            clone = copy.deepcopy(views[k % len(real)])
            clone["name"], clone["digits"] = name, list(parse_pair(name))
            views.append(clone)
    attacks = sorted((results / "lenet").glob("*/attack/*.npz"))
    nets = sorted({path.parent.parent.name for path in attacks})
    lenet = explorer.lenet_view(explorer.read_lenet_examples(attacks, nets), {})
    data = explorer.page_data(views, lenet, settings)
    page = explorer.build_page(
        data, *(RESOURCES / name for name in ("index.html", "charts.js", "explorer.js", "explorer.css"))
    )
    return page, data


def sizes(page: str, data: dict) -> dict[str, float]:
    """MB of the page by part."""

    def mb(obj) -> float:
        return len(json.dumps(obj, separators=(",", ":"))) / 1e6

    parts = {"page": len(page.encode("utf-8")) / 1e6}
    if data["pairs"]:
        pair = data["pairs"][0]
        parts["per pair"] = mb(pair)
        for key in ("plane", "histograms", "mirrors", "metrics"):
            parts[f"  {key}"] = mb(pair[key])
    parts["lenet"] = mb(data["lenet"])
    return parts


def thread_seconds(driver) -> float:
    """CPU time of the page's main thread (DevTools' ThreadTime): on a busy machine the wall
    times grow, this does not; on an idle one the open takes about this long."""
    metrics = driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "ThreadTime")


def open_times(page_path: Path, repeat: int) -> dict[str, list[float]]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = find_chromium(), find_chromedriver()
    if not (chromium and chromedriver):
        sys.exit("bench_explorer: needs chromium and chromedriver (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROMIUM_FLAGS, WINDOW]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    times = {
        "ready (ms)": [],
        "DOMContentLoaded (ms)": [],
        "main thread CPU (ms)": [],
        "new pair (ms)": [],
        "lambda step (ms)": [],
    }
    step = (
        "const done = arguments[arguments.length - 1]; const t = performance.now();"
        "window.explorer.%s.then(() => done(performance.now() - t));"
    )
    try:
        driver.set_script_timeout(60)
        driver.execute_cdp_cmd("Performance.enable", {"timeDomain": "threadTicks"})
        for _ in range(repeat):
            driver.get("about:blank")
            cpu = thread_seconds(driver)
            driver.get(page_path.as_uri())
            driver.execute_async_script("window.explorer.ready.then(arguments[arguments.length - 1]);")
            times["main thread CPU (ms)"].append(1000 * (thread_seconds(driver) - cpu))
            times["ready (ms)"].append(driver.execute_script("return window.explorer.state.readyAt"))
            times["DOMContentLoaded (ms)"].append(
                driver.execute_script("return performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
            )
            count = driver.execute_script("return window.explorer.data.pairs.length")
            if count > 1:
                times["new pair (ms)"].append(driver.execute_async_script(step % f"setPair({count - 1})"))
            times["lambda step (ms)"].append(driver.execute_async_script(step % "setLambda(0)"))
    finally:
        driver.quit()
    return times


def main(argv=None):
    args = parse_args(argv)
    page, data = build(Path(args.workdir), args.pairs)
    lambdas = len(data["pairs"][0]["metrics"]["lam"]) if data["pairs"] else 0
    print(f"explorer page: {len(data['pairs'])} pairs x {lambdas} lambdas, {len(data['lenet']['networks'])} networks")
    for name, value in sizes(page, data).items():
        print(f"  {name:<22} {value:8.3f} MB")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.keep) if args.keep else Path(folder) / "index.html"
        path.write_text(page, encoding="utf-8")
        for name, values in open_times(path.resolve(), args.repeat).items():
            if values:
                print(f"  {name:<22} median {statistics.median(values):7.0f}   all {', '.join(f'{v:.0f}' for v in values)}")


if __name__ == "__main__":
    main()
