"""The Snakemake report and the claims table of the shared smoke run.

Builds results/report.html from the smoke work dir with `snakemake --report`, checks that it
embeds every figure and the claims table, that the claims are computed from the run's tables,
and opens it in headless Chromium (skipped, with the reason, when no Chromium is installed).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import CHROMIUM_FLAGS, REPO, browser_missing, find_chromium, run_snakemake, smoke_config

from tilting import claims

WINDOW = (1400, 900)


def report_json(html: str, name: str) -> dict:
    """One of the report's embedded JSON objects (``var results = {...};``)."""
    match = re.search(rf"var {name} = (\{{.*?\}});\s*</script>", html, re.S)
    assert match, f"report has no '{name}' object"
    return json.loads(match.group(1))


def data_uri_bytes(uri: str) -> bytes:
    header, _, payload = uri.partition(";base64,")
    assert header.startswith("data:"), header[:40]
    return base64.b64decode(payload)


@pytest.fixture(scope="module")
def report(smoke_run, tiny_mnist, tmp_path_factory):
    """(work dir, report html text, report path, snakemake's stderr) of the smoke run's report."""
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = run_snakemake(smoke_run, smoke_config(*tiny_mnist), "--report", str(out))
    assert result.returncode == 0, result.stderr[-4000:]
    return smoke_run, out.read_text(encoding="utf-8"), out, result.stderr


def test_report_embeds_every_figure_and_table(report):
    workdir, html, _, _ = report
    results = report_json(html, "results")
    categories = report_json(html, "categories")
    figures = sorted(p.relative_to(workdir).as_posix() for p in (workdir / "results" / "figures").glob("*.png"))
    assert figures, "the smoke run made no figures"
    missing = [f for f in figures if f not in results]
    assert not missing, f"figures not marked with report(): {missing}"
    for figure in figures:
        entry = results[figure]
        assert entry["mime_type"] == "image/png"
        assert data_uri_bytes(entry["data_uri"]) == (workdir / figure).read_bytes()
    # the article's parts are report categories; the run explorer is embedded whole
    assert {"Claims", "Tables", "Explorer"} <= set(categories)
    explorer = results["results/explorer/index.html"]
    assert explorer["mime_type"] == "text/html"
    assert data_uri_bytes(explorer["data_uri"]) == (workdir / "results" / "explorer" / "index.html").read_bytes()
    in_claims = [path for sub in categories["Claims"].values() for path in sub]
    assert sorted(in_claims) == ["results/tables/claims.csv", "results/tables/claims.html"]
    tables = sorted(p.relative_to(workdir).as_posix() for p in (workdir / "results" / "tables").glob("*.csv"))
    collected = [t for t in tables if not t.endswith("/claims.csv")]
    in_tables = sorted(path for sub in categories["Tables"].values() for path in sub)
    assert in_tables == collected
    # the top-level description (workflow/report/workflow.rst) is rendered with the run's lambda grid
    match = re.search(r'var workflow_desc = (".*?");\s*</script>', html, re.S)
    assert match, "report has no workflow description"
    description = json.loads(match.group(1))
    grid = yaml.safe_load((workdir / "config.yaml").read_text())["svm"]["lambda_exponents"]
    assert "boundary-tilting" in description
    assert f"from {grid['start']} to {grid['stop']} in steps of {grid['step']}" in description


def test_claims_in_report_are_the_run_claims(report):
    workdir, html, _, _ = report
    results = report_json(html, "results")
    page = (workdir / "results" / "tables" / "claims.html").read_bytes()
    assert data_uri_bytes(results["results/tables/claims.html"]["data_uri"]) == page
    table = pd.read_csv(workdir / "results" / "tables" / "claims.csv")
    assert list(table.columns) == claims.COLUMNS
    assert table["claim"].is_unique and set(table["status"]) <= set(claims.STATUSES)
    text = page.decode("utf-8")
    for claim, status in zip(table["claim"], table["status"]):
        assert f'<tr class="{status.replace(" ", "-")}" id="{claim}">' in text
    assert claims.summary(table) in text
    markdown = (workdir / "results" / "tables" / "claims.md").read_text()
    assert markdown == claims.to_markdown(pd.read_csv(workdir / "results" / "tables" / "claims.csv"))


def test_claims_are_computed_from_the_stage_tables(report):
    workdir = report[0]
    results = workdir / "results"
    table = pd.read_csv(results / "tables" / "claims.csv").set_index("claim")
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    criteria = {**yaml.safe_load((REPO / "config.yaml").read_text())["claims"], **config.get("claims", {})}
    pairs = set(config["pairs"])

    # the collected tables are the stage tables, and re-evaluating them gives the same claims
    tables = {}
    for name in claims.REQUIRED_COLUMNS:
        # the collected tables, and the LeNet summary (the number of test images of each error)
        path = results / "lenet" / "summary.csv" if name == "lenet_summary" else results / "tables" / f"{name}.csv"
        if path.exists():
            tables[name] = pd.read_csv(path)
    again = claims.evaluate(tables, criteria).set_index("claim")
    assert list(again.index) == list(table.index)
    assert (again["status"] == table["status"]).all()
    np.testing.assert_allclose(
        again["value"].to_numpy(float), table["value"].to_numpy(float), rtol=1e-12, equal_nan=True
    )
    assert (again["margin"].fillna("") == table["margin"].fillna("")).all()

    svm_csv = results / "svm" / "metrics.csv"
    if svm_csv.exists():
        metrics = pd.read_csv(svm_csv)
        pd.testing.assert_frame_equal(tables["svm_metrics"], metrics)
        assert table.loc["svm_identity", "value"] == pytest.approx(metrics["identity_residual_rel"].max(), rel=1e-12, abs=0)
        assert table.loc["svm_certified", "value"] == pytest.approx(metrics["gap"].max(), rel=1e-12)
        top = metrics.loc[metrics.groupby("pair")["lam"].idxmax()]
        assert table.loc["svm_theta_high_lambda", "value"] == pytest.approx(top["theta_deg"].max())
        low = metrics.loc[metrics.groupby("pair")["lam"].idxmin()].set_index("pair")["theta_deg"]
        hard, easy = criteria["hard_pair"], criteria["easy_pair"]
        if {hard, easy} <= pairs:
            assert table.loc["svm_hard_vs_easy_theta", "value"] == pytest.approx(low[hard] - low[easy])
    else:
        assert (table.loc[[c for c in table.index if c.startswith("svm_")], "status"] == claims.NOT_RUN).all()
    if criteria["poorly_adjusted_pair"] not in pairs:
        assert table.loc["svm_poorly_adjusted", "status"] == claims.NOT_RUN
        assert criteria["poorly_adjusted_pair"] in table.loc["svm_poorly_adjusted", "measured"]

    nets = sorted(config.get("lenet", {}).get("networks", {}))
    histories = {net: results / "lenet" / net / "history.csv" for net in nets}
    if nets and all(p.exists() for p in histories.values()):
        collected = pd.read_csv(results / "tables" / "lenet_history.csv")
        for net, path in histories.items():
            history = pd.read_csv(path)
            mine = collected[collected["net"] == net].drop(columns="net").reset_index(drop=True)
            pd.testing.assert_frame_equal(mine, history, check_dtype=False)
            claim = f"lenet_final_test_error_{net}"
            if claim in table.index:
                final = history.sort_values("epoch").iloc[-1]["test_error"]
                assert table.loc[claim, "value"] == pytest.approx(final)
                assert table.loc[claim, "status"] in (claims.PASS, claims.FAIL)
    else:
        assert (table.loc[[c for c in table.index if c.startswith("lenet_")], "status"] == claims.NOT_RUN).all()

    if (results / "toy" / "noisy_point.csv").exists():
        noisy = pd.read_csv(results / "toy" / "noisy_point.csv")
        high = noisy[noisy["regularization"] == "high"]
        assert table.loc["toy_high_reg_resists", "value"] == pytest.approx(high["fits_noisy_point"].astype(bool).mean())


def rst_errors(path: Path) -> list[str]:
    """reStructuredText errors of one caption file (its Jinja tags are plain text to docutils)."""
    import io

    from docutils.core import publish_doctree

    stream = io.StringIO()
    settings = {"report_level": 3, "halt_level": 5, "warning_stream": stream}
    publish_doctree(path.read_text(encoding="utf-8"), source_path=path.name, settings_overrides=settings)
    return [line for line in stream.getvalue().splitlines() if re.search(r"\((ERROR|SEVERE)/\d\)", line)]


def test_report_captions_render_without_rst_errors(report):
    """docutils reports broken captions (e.g. an unescaped |x| or f_w) on stderr, then renders them wrongly."""
    stderr = report[3]
    errors = sorted(set(re.findall(r"\((?:ERROR|SEVERE)/\d\) .*", stderr)))
    if errors:
        files = [e for path in sorted((REPO / "workflow" / "report").glob("*.rst")) for e in rst_errors(path)]
        pytest.fail("captions with reStructuredText errors (quote formulas as ``...``):\n" + "\n".join(files or errors))


def with_view(html: str, view_js: str) -> str:
    """The report with a script that opens one result once the page has loaded."""
    script = (
        '<script>window.addEventListener("load", function () { setTimeout(function () {'
        f"{view_js}"
        "}, 300); });</script>"
    )
    end = html.rfind("</body>")
    return html[:end] + script + html[end:]


def chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_report_opens_in_headless_chromium(report, tmp_path):
    binary = find_chromium()
    if binary is None:
        browser_missing("no Chromium on PATH (apt-get install -y --no-install-recommends chromium)")
    _, html, _, _ = report
    results = report_json(html, "results")
    figure = next(p for p in sorted(results) if p.endswith(".png"))
    views = {
        "landing": html,
        "figure": with_view(
            html,
            f'var p = "{figure}"; app.setView({{content: "img", contentPath: results[p].data_uri, resultPath: p}});',
        ),
        "claims": with_view(
            html,
            'var p = "results/tables/claims.html"; app.showCategory("Claims");'
            ' app.setView({content: "html", contentPath: results[p].data_uri, resultPath: p});',
        ),
    }
    from matplotlib.image import imread

    shots = {}
    for name, page in views.items():
        page_path = tmp_path / f"{name}.html"
        page_path.write_text(page, encoding="utf-8")
        profile = tmp_path / f"profile-{name}"
        shot = tmp_path / f"{name}.png"
        done = chromium(
            binary, profile, f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={shot}", page_path.as_uri()
        )
        assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
        pixels = imread(shot)
        assert pixels.shape[:2] == (WINDOW[1], WINDOW[0])
        assert pixels[..., :3].std() > 0.05, f"{name} screenshot is blank"
        shots[name] = pixels[..., :3]
        dom = chromium(binary, tmp_path / f"dom-{name}", "--dump-dom", page_path.as_uri()).stdout
        assert "Claims" in dom  # the category menu was rendered by the report's scripts
        if name == "figure":
            prefix = results[figure]["data_uri"][:200]
            assert f'<img src="{prefix}' in dom, "the figure is not displayed"
        if name == "claims":
            prefix = results["results/tables/claims.html"]["data_uri"][:200]
            assert f'<iframe src="{prefix}' in dom, "the claims table is not displayed"
    assert not np.array_equal(shots["landing"], shots["figure"])
    assert not np.array_equal(shots["figure"], shots["claims"])
    keep = os.environ.get("REPORT_SCREENSHOTS")
    if keep:  # e.g. CI artifacts
        Path(keep).mkdir(parents=True, exist_ok=True)
        for name in views:
            shutil.copy(tmp_path / f"{name}.png", Path(keep) / f"report_{name}.png")
