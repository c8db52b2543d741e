"""rule explorer: the run explorer, one offline HTML page over every pair, lambda and network."""

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.offline

from tilting import explorer
from tilting.data import atomic_path
from tilting.jobs import run_job


def load_npz(path):
    with np.load(path) as archive:
        return {key: archive[key] for key in archive.files}


def pair_views(smk, log):
    pairs = list(smk.params.pairs)
    if not pairs:
        return []
    settings = smk.params.settings
    table = pd.read_csv(smk.input.metrics, dtype={"pair": str})
    views = []
    for name, projections, mirrors in zip(pairs, smk.input.projections, smk.input.mirrors):
        rows = table[table["pair"] == name].sort_values("lam", kind="stable")
        view = explorer.pair_view(
            name, rows, load_npz(projections), load_npz(mirrors), settings["points_per_class"], settings["histogram_bins"]
        )
        views.append(view)
        log.info("pair %s: %d models", name, len(rows))
    return views


def lenet_examples(smk):
    """Attack files grouped by network (results/lenet/{net}/attack/{digit}.npz), in params order."""
    examples = {net: [] for net in smk.params.networks}
    for path in smk.input.get("attacks", []):
        net = Path(path).parent.parent.name
        examples.setdefault(net, []).append(load_npz(path))
    return {net: rows for net, rows in examples.items() if rows}


def main(smk, log):
    pairs = pair_views(smk, log)
    lenet = explorer.lenet_view(lenet_examples(smk), dict(smk.params.networks))
    data = explorer.page_data(pairs, lenet, dict(smk.params.settings))
    page = explorer.render_page(
        data,
        template=Path(smk.input.template).read_text(encoding="utf-8"),
        script=Path(smk.input.script).read_text(encoding="utf-8"),
        style=Path(smk.input.style).read_text(encoding="utf-8"),
        plotly_js=plotly.offline.get_plotlyjs(),
        title="boundary-tilting: run explorer",
    )
    with atomic_path(smk.output[0]) as tmp:
        tmp.write_text(page, encoding="utf-8")
    log.info(
        "%d pairs, %d networks: %.2f MB",
        len(pairs),
        len(lenet["networks"]),
        len(page.encode("utf-8")) / 1e6,
    )


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
