"""The claims table: one row per statement of the article, quoted, with an explicit criterion
that carries the article's magnitude, the measured value, its margin and PASS, FAIL or NOT RUN.

Modules: rows (the row and what all claims share), sampling (sampling error of test errors),
toy, svm, lenet, adversarial (the claims, by part of the article), table (the list of claims
and :func:`evaluate`), render (Markdown and HTML).
"""

from .render import summary, to_html, to_markdown
from .rows import COLUMNS, FAIL, NOT_RUN, PASS, REQUIRED_COLUMNS, STATUSES, ClaimsError, check_table
from .table import CLAIMS, evaluate

__all__ = [
    "CLAIMS",
    "COLUMNS",
    "FAIL",
    "NOT_RUN",
    "PASS",
    "REQUIRED_COLUMNS",
    "STATUSES",
    "ClaimsError",
    "check_table",
    "evaluate",
    "summary",
    "to_html",
    "to_markdown",
]
