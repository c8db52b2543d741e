"""Print a claims table (results/tables/claims.csv) as Markdown, for pasting into the README.

python workflow/scripts/claims_markdown.py results/tables/claims.csv > claims.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402

from tilting.claims import COLUMNS, to_markdown  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("claims_csv", nargs="?", default="results/tables/claims.csv")
    args = parser.parse_args(argv)
    path = Path(args.claims_csv)
    if not path.is_file():
        print(f"error: {path} not found (run the workflow first)", file=sys.stderr)
        return 1
    table = pd.read_csv(path, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        print(f"error: {path} lacks column(s) {missing}", file=sys.stderr)
        return 1
    sys.stdout.write(to_markdown(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
