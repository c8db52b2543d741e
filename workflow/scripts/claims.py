"""rule claims: the claims table of the article, measured on this run's tables.

Writes results/tables/claims.csv, a readable HTML page for the report and claims.md, the
Markdown that the README's "Claims" section pastes as is. A FAIL is a result, not an error:
the job succeeds.
"""

import pandas as pd

from tilting import claims
from tilting.jobs import run_job


def main(smk, log):
    tables = {name: pd.read_csv(path) for name, path in smk.input.items()}
    absent = sorted(set(claims.REQUIRED_COLUMNS) - set(tables))
    log.info("tables: %s; stages not in this run: %s", sorted(tables), absent or "none")
    table = claims.evaluate(tables, smk.params.criteria)
    table.to_csv(smk.output.csv, index=False)
    with open(smk.output.html, "w", encoding="utf-8") as handle:
        handle.write(claims.to_html(table))
    with open(smk.output.markdown, "w", encoding="utf-8") as handle:
        handle.write(claims.to_markdown(table))
    for _, row in table.iterrows():
        log.info("%-8s %s: %s | %s", row["status"], row["claim"], row["measured"], row["margin"])
    log.info("claims: %s", claims.summary(table))


run_job(snakemake, main)  # noqa: F821 (injected by Snakemake)
