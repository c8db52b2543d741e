"""Glue for the per-rule scripts: a log file per job and one-line errors.

Usage in a script run by Snakemake's ``script:`` directive::

    from tilting.jobs import run_job
    run_job(snakemake, main)   # main(snakemake, log) -> None
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Callable

from .data import DataError
from .settings import ConfigError

#: Errors whose message is the whole story: reported as one line, no traceback.
EXPECTED_ERRORS = (DataError, ConfigError, FileNotFoundError)


def one_torch_thread() -> None:
    """Calibration and attack jobs compute with one CPU thread whatever threads Snakemake gives
    them (--set-threads): parallel sums may round differently with more, and the same config
    must give the same numbers. Their jobs run side by side instead. (A training's count is
    config: lenet.threads.)"""
    import torch  # here: the SVM jobs import this module and must start without torch

    torch.set_num_threads(1)


def open_log(path: str | None, name: str = "job") -> logging.Logger:
    """Log to ``path`` (and to stderr when there is none), one timestamped line per event."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    handler = logging.FileHandler(path, mode="w") if path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    logger.addHandler(handler)
    logger.propagate = False
    return logger


def run_job(smk, main: Callable, name: str | None = None) -> None:
    """Run ``main(smk, log)``; on failure write the reason to the job's log and exit 1."""
    log_path = smk.log[0] if len(smk.log) else None
    log = open_log(log_path, name or smk.rule)
    start = time.perf_counter()
    try:
        main(smk, log)
    except EXPECTED_ERRORS as err:
        message = f"rule {smk.rule} ({dict(smk.wildcards.items())}): {err}"
        log.error(message)
        print(f"ERROR: {message}", file=sys.stderr)
        sys.exit(1)
    except Exception:
        log.exception("rule %s failed", smk.rule)
        raise
    log.info("done in %.2f s", time.perf_counter() - start)
