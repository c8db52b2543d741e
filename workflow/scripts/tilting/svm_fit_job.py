"""The job of rule svm_fit: one certified linear SVM for (pair, lambda) and its metrics.

``run(argv)`` is the command line of ``workflow/scripts/svm_fit.py`` (see ``--help``);
``main(job, log)`` is the job itself on a Snakemake-like job object (``script:`` works too).
``preload(argv)`` is the fork server's hook (:mod:`tilting.forkserver`): it keeps the last
pair files in the server's memory, so that a forked job finds its data already loaded.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from types import SimpleNamespace

import numpy as np

from .data import PairData, atomic_savez, read_pair
from .jobs import run_job
from .svm import SolverError, fit_linear_svm
from .svm_analysis import REFERENCE_SCALE, pair_model_metrics, reference_weights

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
        key = _pair_key(path)
    except OSError:
        return read_pair(path)  # the error names the file
    pair = _PAIRS.get(key)
    return pair if pair is not None else read_pair(path)


def preload(argv: list[str]) -> None:
    """Fork-server hook: read this job's pair file once for all jobs of the pair."""
    path = parse_command_line(argv).pair_data
    key = _pair_key(path)
    if key not in _PAIRS:
        _PAIRS[key] = read_pair(path)
        while len(_PAIRS) > _PAIRS_KEPT:
            del _PAIRS[next(iter(_PAIRS))]


def main(smk, log):
    params = smk.params
    pair_name, alpha = smk.wildcards.pair, float(params.alpha)
    lam = 10.0**alpha
    loading = time.perf_counter()
    pair = load_pair(smk.input[0])
    x_reference = pair.x_train.astype(np.float64)
    y = pair.y_train.astype(np.float64)
    where = f"pair {pair_name}, lambda 10^{alpha:+.2f}"
    start = time.perf_counter()
    try:
        # the solver scales its own copy of the uint8 images: the same as scaled_images(x_reference, ...)
        fit = fit_linear_svm(
            pair.x_train,
            y,
            lam,
            objective=params.objective,
            gap_tolerance=params.gap_tolerance,
            x_scale=float(params.pixel_scale) / REFERENCE_SCALE,
        )
    except SolverError as err:
        message = f"{where}: SVM fit not certified: {err}"
        log.error(message)
        print(f"ERROR: rule {smk.rule}: {message}", file=sys.stderr)
        sys.exit(1)
    fit_seconds = time.perf_counter() - start  # wall clock of the whole solver call
    if not fit.gap <= params.gap_tolerance:
        message = f"{where}: duality gap {fit.gap:.3g} above gap_tolerance {params.gap_tolerance:.3g}"
        log.error(message)
        print(f"ERROR: rule {smk.rule}: {message}", file=sys.stderr)
        sys.exit(1)
    fitted = time.perf_counter()
    w_reference = reference_weights(fit.w, params.pixel_scale)
    metrics = pair_model_metrics(w_reference, fit.b, pair, x_train=x_reference)
    measured = time.perf_counter()
    log.info(
        "%s: %s, %d iterations, %.3f s (solver CPU %.3f s), gap %.2e, bias_unique %s; theta %.3f deg, err_train %.4f, "
        "err_test %.4f, d_adv %.4f, identity residual %.1e",
        where,
        fit.solver,
        fit.iterations,
        fit_seconds,
        fit.seconds,
        fit.gap,
        fit.bias_unique,
        metrics["theta_deg"],
        metrics["err_train"],
        metrics["err_test"],
        metrics["d_adv"],
        metrics["identity_residual"],
    )
    atomic_savez(
        smk.output[0],
        pair=np.array(pair_name),
        alpha=np.float64(alpha),
        lam=np.float64(lam),
        pixel_scale=np.float64(params.pixel_scale),
        objective_name=np.array(params.objective),
        w=np.asarray(fit.w, dtype=np.float64),
        fit_b=np.float64(fit.b),
        objective=np.float64(fit.objective),
        dual_objective=np.float64(fit.dual_objective),
        gap=np.float64(fit.gap),
        bias_unique=np.bool_(fit.bias_unique),
        solver=np.array(str(fit.solver)),
        iterations=np.int64(fit.iterations),
        fit_seconds=np.float64(fit_seconds),
        solver_seconds=np.float64(fit.seconds),  # as the solver reports it
        **{key: np.float64(value) for key, value in metrics.items()},
    )
    log.info(
        "timing: load %.3f s, fit %.3f s, metrics %.3f s, save %.3f s",
        start - loading,
        fit_seconds,
        measured - fitted,
        time.perf_counter() - measured,
    )


def parse_command_line(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="svm_fit.py", description=__doc__.splitlines()[0])
    parser.add_argument("--pair-data", required=True, help="results/data/pairs/{pair}.npz")
    parser.add_argument("--output", required=True, help="results/svm/{pair}/lam_{alpha}.npz")
    parser.add_argument("--log", help="the job's log file")
    parser.add_argument("--pair", required=True, help="pair name, e.g. 7v9")
    parser.add_argument("--alpha", required=True, type=float, help="lambda = 10^alpha")
    parser.add_argument("--pixel-scale", required=True, type=float, choices=(1.0, 255.0))
    parser.add_argument("--objective", required=True, choices=("article", "vlfeat"))
    parser.add_argument("--gap-tolerance", required=True, type=float)
    return parser.parse_args(argv)


def job_from_command_line(argv: list[str]) -> SimpleNamespace:
    """The fields of Snakemake's job object that main() reads, from the command line."""
    args = parse_command_line(argv)
    return SimpleNamespace(
        rule="svm_fit",
        input=[args.pair_data],
        output=[args.output],
        log=[args.log] if args.log else [],
        wildcards=SimpleNamespace(pair=args.pair, items=lambda: [("pair", args.pair), ("alpha", args.alpha)]),
        params=SimpleNamespace(
            alpha=args.alpha,
            pixel_scale=args.pixel_scale,
            objective=args.objective,
            gap_tolerance=args.gap_tolerance,
        ),
    )


def run(argv: list[str]) -> None:
    """The job from its command line (fork server child, or a fresh interpreter)."""
    run_job(job_from_command_line(argv), main)
