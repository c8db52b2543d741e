"""The claims table as Markdown (pasted as is into the README) and as an HTML page (the report)."""

from __future__ import annotations

import html
import json

import pandas as pd

from .rows import FAIL, NOT_RUN, PASS, STATUSES

INTRO = (
    "Each criterion uses the number the article states, with the sentence it comes from; its tolerances are "
    "the `claims` section of `config.yaml`. The margin says how far the measured value is from the criterion "
    "and, where error rates are compared, whether the difference exceeds the sampling error of the test set. "
    "A FAIL is a result of the run, not an error; NOT RUN means that a pair, network or stage is not part of "
    "the run, or that the run has too few λ values for the criterion."
)


def summary(claims: pd.DataFrame) -> str:
    counts = claims["status"].value_counts()
    return ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)


def _cell(text) -> str:
    text = "" if pd.isna(text) else str(text)
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(claims: pd.DataFrame) -> str:
    """The claims table as GitHub Markdown, with its introduction and summary line."""
    marks = {PASS: "**PASS**", FAIL: "**FAIL**", NOT_RUN: "not run"}
    lines = [
        INTRO,
        "",
        "| Claim | Article | Measured | Criterion | Margin | Result |",
        "|---|---|---|---|---|---|",
    ]
    for _, row in claims.iterrows():
        cells = [f"`{_cell(row['claim'])}`"] + [_cell(row[c]) for c in ("statement", "measured", "criterion", "margin")]
        lines.append("| " + " | ".join(cells) + f" | {marks.get(row['status'], row['status'])} |")
    lines += ["", f"Summary: {summary(claims)}."]
    return "\n".join(lines) + "\n"


_HTML_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.35em 0.5em; vertical-align: top; text-align: left; }
th { background: #f0f0f0; }
td.status { font-weight: bold; text-align: center; white-space: nowrap; }
tr.PASS td.status { background: #d7f5d7; color: #14591a; }
tr.FAIL td.status { background: #fbd9d9; color: #8a1111; }
tr.NOT-RUN td.status { background: #eeeeee; color: #666; }
tr.section th { background: #dde6f3; }
td.statement { font-style: italic; }
details pre { white-space: pre-wrap; font-size: 0.85em; max-width: 40em; }
"""


def to_html(claims: pd.DataFrame, title: str = "Claims of the article, measured") -> str:
    """A self-contained HTML page of the claims table (embedded in the Snakemake report)."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_HTML_STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p id="summary">{esc(summary(claims))}.</p>',
        f"<p>{esc(INTRO.replace('`', ''))}</p>",
        "<table><thead><tr><th>Claim</th><th>Article</th><th>Measured</th><th>Criterion</th><th>Margin</th>"
        "<th>Result</th><th>Details</th></tr></thead><tbody>",
    ]
    section = None
    for _, row in claims.iterrows():
        if row["section"] != section:
            section = row["section"]
            parts.append(f'<tr class="section"><th colspan="7">{esc(str(section))}</th></tr>')
        try:
            details = json.dumps(json.loads(row["details"]), indent=1, sort_keys=True)
        except (TypeError, ValueError):
            details = str(row["details"])
        css = str(row["status"]).replace(" ", "-")
        margin = "" if pd.isna(row["margin"]) else str(row["margin"])
        parts.append(
            f'<tr class="{esc(css)}" id="{esc(str(row["claim"]))}">'
            f"<td><code>{esc(str(row['claim']))}</code></td>"
            f'<td class="statement">{esc(str(row["statement"]))}</td>'
            f"<td>{esc(str(row['measured']))}</td>"
            f"<td>{esc(str(row['criterion']))}</td>"
            f"<td>{esc(margin)}</td>"
            f'<td class="status">{esc(str(row["status"]))}</td>'
            f"<td><details><summary>numbers</summary><pre>{esc(details)}</pre></details></td></tr>"
        )
    parts.append("</tbody></table></body></html>")
    return "\n".join(parts) + "\n"
