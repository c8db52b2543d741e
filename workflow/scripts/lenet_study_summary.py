"""rule lenet_study_summary: per-network table, seed spread per weight decay, verdict, figure."""

import pandas as pd

from tilting.data import atomic_path
from tilting.jobs import run_job
from tilting.lenet_files import load_model, weight_rms
from tilting.lenet_study import network_row, spread_table, verdict_sentences, verdict_table
from tilting.plots import save_figure
from tilting.plots.lenet_study import study_figure


def main(smk, log):
    networks = dict(smk.params.networks)
    rows = []
    for net, history, model_path, attacks in zip(networks, smk.input.histories, smk.input.models, smk.input.attacks):
        model, _, _ = load_model(model_path)
        rows.append(network_row(net, networks[net], pd.read_csv(history), weight_rms(model), pd.read_csv(attacks)))
    table = pd.DataFrame(rows)
    spread = spread_table(table)
    verdict = verdict_table(spread, smk.params.reference_weight_decay)
    for frame, path in ((table, smk.output.networks), (spread, smk.output.spread), (verdict, smk.output.verdict)):
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False)
    sentences = verdict_sentences(verdict)
    with atomic_path(smk.output.verdict_md) as tmp:
        tmp.write_text("".join(f"- {sentence}\n" for sentence in sentences))
    for sentence in sentences:
        log.info("%s", sentence)
    save_figure(study_figure(table, smk.params.reference_weight_decay), smk.output.png, smk.output.pdf)


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
