"""The job of rule svm_fit: one certified linear SVM for (pair, lambda), saved as a model file.

Only the model and its certificate are saved: (w, b), objective, dual objective, gap, bias
flag, solver and iterations, all determined by the pair's data, lambda, pixel scale, objective
and gap tolerance. What is derived from (w, b) (angles, distances, errors) is computed by the
per-pair jobs, so editing that code never re-solves a model. Timings go to the job's log.

``run(argv)`` is the command line of ``workflow/scripts/svm_fit.py`` (``--help``).
``preload(argv)`` is the fork server's hook (:mod:`tilting.forkserver`): it keeps the pair
files in the server's memory, so that a forked job finds its data already loaded.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import NoReturn

import numpy as np

from .data import PairData, atomic_savez, read_pair
from .jobs import EXPECTED_ERRORS, open_log
from .settings import parse_exponent
from .svm import SolverError, fit_linear_svm
from .svm_analysis import REFERENCE_SCALE

#: pair files kept by preload(), oldest first: (path, inode, size, mtime, ctime) -> PairData. Enough for
#: every pair of a sweep (~6 MB each): the scheduler picks ready fits in random order.
_PAIRS: dict[tuple, PairData] = {}
_PAIRS_KEPT = 45


def _pair_key(path: str) -> tuple:
    info = os.stat(path)
    return (os.path.abspath(path), info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def load_pair(path: str) -> PairData:
    """read_pair(path), from the preloaded copy when the file has not changed since."""
    try:
        pair = _PAIRS.get(_pair_key(path))
    except OSError:
        pair = None  # read_pair names the missing file
    return pair if pair is not None else read_pair(path)


def preload(argv: list[str]) -> None:
    """Fork-server hook: read this job's pair file once for all jobs of the pair."""
    path = parse_command_line(argv).pair_data
    key = _pair_key(path)
    if key not in _PAIRS:
        _PAIRS[key] = read_pair(path)
        while len(_PAIRS) > _PAIRS_KEPT:
            del _PAIRS[next(iter(_PAIRS))]


def parse_command_line(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="svm_fit.py", description=__doc__.splitlines()[0])
    parser.add_argument("--pair-data", required=True, help="results/data/pairs/{pair}.npz")
    parser.add_argument("--output", required=True, help="results/svm/{pair}/lam_{alpha}.npz")
    parser.add_argument("--log", help="the job's log file (default: stderr)")
    parser.add_argument("--pair", required=True, help="pair name, e.g. 7v9")
    parser.add_argument("--alpha", required=True, help="lambda = 10^alpha, e.g. -1.00")
    parser.add_argument("--pixel-scale", required=True, type=float, choices=(1.0, 255.0))
    parser.add_argument("--objective", required=True, choices=("article", "vlfeat"))
    parser.add_argument("--gap-tolerance", required=True, type=float)
    return parser.parse_args(argv)


def run(argv: list[str]) -> None:
    """Fit, certify and save one model; a fit that misses the gap exits 1 naming pair and lambda."""
    args = parse_command_line(argv)
    log = open_log(args.log, "svm_fit")
    alpha = parse_exponent(args.alpha)
    lam = 10.0**alpha
    where = f"pair {args.pair}, lambda 10^{alpha:+.2f}"

    def fail(message: str) -> NoReturn:  # one line in the job's log and on the console, then exit 1
        log.error("%s: %s", where, message)
        print(f"ERROR: rule svm_fit ({where}): {message}", file=sys.stderr)
        sys.exit(1)

    loading = time.perf_counter()
    try:
        pair = load_pair(args.pair_data)
    except EXPECTED_ERRORS as err:
        fail(str(err))
    start = time.perf_counter()
    try:
        # the solver scales its own copy of the uint8 images (pixel_scale 1: divided by 255)
        fit = fit_linear_svm(
            pair.x_train,
            pair.y_train.astype(np.float64),
            lam,
            objective=args.objective,
            gap_tolerance=args.gap_tolerance,
            x_scale=args.pixel_scale / REFERENCE_SCALE,
        )
    except SolverError as err:
        fail(f"SVM fit not certified: {err}")
    fitted = time.perf_counter()
    atomic_savez(
        args.output,
        pair=np.array(args.pair),
        alpha=np.float64(alpha),
        lam=np.float64(lam),
        pixel_scale=np.float64(args.pixel_scale),
        objective_name=np.array(args.objective),
        w=np.asarray(fit.w, dtype=np.float64),  # acts on images on the fitting scale
        b=np.float64(fit.b),
        objective=np.float64(fit.objective),
        dual_objective=np.float64(fit.dual_objective),
        gap=np.float64(fit.gap),
        bias_unique=np.bool_(fit.bias_unique),
        solver=np.array(str(fit.solver)),
        iterations=np.int64(fit.iterations),
    )
    log.info(
        "%s: %s, %d iterations, gap %.2e, bias_unique %s; timing: load %.3f s, fit %.3f s (solver CPU %.3f s), "
        "save %.3f s; process %d, parent %d",
        where,
        fit.solver,
        fit.iterations,
        fit.gap,
        fit.bias_unique,
        start - loading,
        fitted - start,
        fit.seconds,
        time.perf_counter() - fitted,
        os.getpid(),
        os.getppid(),  # the fork server, when the job was forked
    )
