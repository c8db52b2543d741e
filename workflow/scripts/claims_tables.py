"""rule report_table: copy one stage table into results/tables/ (checking its columns).

lenet_history gathers one history.csv per network and adds a ``net`` column.
"""

import pandas as pd

from tilting.claims import check_table
from tilting.jobs import run_job


def main(smk, log):
    table = smk.wildcards.table
    nets = list(smk.params.nets)
    if nets:
        if len(nets) != len(smk.input):
            raise ValueError(f"{table}: {len(smk.input)} inputs for networks {nets}")
        frames = [pd.read_csv(path).assign(net=net) for net, path in zip(nets, smk.input)]
        frame = pd.concat(frames, ignore_index=True)
        frame = frame[["net"] + [c for c in frame.columns if c != "net"]]
    else:
        frame = pd.read_csv(smk.input[0])
    check_table(table, frame)
    frame.to_csv(smk.output[0], index=False)
    log.info("%s: %d rows, columns %s, from %s", table, len(frame), list(frame.columns), list(smk.input))


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
