"""rule explorer: the run explorer, one offline HTML page over every pair, lambda and network."""

from pathlib import Path

from tilting import explorer
from tilting.data import atomic_path
from tilting.jobs import run_job


def main(smk, log):
    settings = dict(smk.params.settings)
    pairs = list(smk.params.pairs)
    files = dict(zip(pairs, zip(smk.input.get("projections", []), smk.input.get("mirrors", []))))
    views = explorer.read_pair_views(
        smk.input.get("metrics"), files, settings["points_per_class"], settings["histogram_bins"]
    )
    networks = dict(smk.params.networks)
    lenet = explorer.lenet_view(explorer.read_lenet_examples(smk.input.get("attacks", []), networks), networks)
    template = Path(__file__).resolve().parents[1] / "resources" / "explorer"  # workflow/resources/explorer
    page = explorer.build_page(
        explorer.page_data(views, lenet, settings),
        *(template / name for name in ("index.html", "charts.js", "explorer.js", "explorer.css")),
    )
    with atomic_path(smk.output[0]) as tmp:
        tmp.write_text(page, encoding="utf-8")
    log.info(
        "%d pairs x %s lambdas, %d networks: %.2f MB",
        len(views),
        len(views[0]["metrics"]["lam"]) if views else 0,
        len(lenet["networks"]),
        len(page.encode("utf-8")) / 1e6,
    )


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
