"""rule svm_fit: one certified linear SVM for (pair, lambda) and its per-model metrics.

Run by a ``shell:`` rule as a command line (see --help): with 3645 fits per sweep, the
~0.2 s that unpickling Snakemake's ``script:`` preamble costs each job (it imports the
snakemake package) would be a large share of the sweep. ``script:`` works too.
"""

import time

_STARTED = time.perf_counter()  # after Snakemake's preamble, before the imports

import os  # noqa: E402
import sys  # noqa: E402

# One BLAS thread per job (Snakemake sets OMP_NUM_THREADS for shell jobs only);
# must happen before numpy is imported.
_THREADS = str(globals()["snakemake"].threads) if "snakemake" in globals() else "1"
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, _THREADS)

import numpy as np  # noqa: E402

import argparse  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from tilting.data import atomic_savez, read_pair  # noqa: E402
from tilting.jobs import run_job  # noqa: E402
from tilting.svm import SolverError, fit_linear_svm  # noqa: E402
from tilting.svm_analysis import pair_model_metrics, reference_weights, scaled_images  # noqa: E402

_IMPORTED = time.perf_counter()


def main(smk, log):
    params = smk.params
    pair_name, alpha = smk.wildcards.pair, float(params.alpha)
    lam = 10.0**alpha
    loading = time.perf_counter()
    pair = read_pair(smk.input[0])
    x_reference = pair.x_train.astype(np.float64)
    x_fit = scaled_images(x_reference, params.pixel_scale)
    y = pair.y_train.astype(np.float64)
    where = f"pair {pair_name}, lambda 10^{alpha:+.2f}"
    start = time.perf_counter()
    try:
        fit = fit_linear_svm(x_fit, y, lam, objective=params.objective, gap_tolerance=params.gap_tolerance)
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
        "timing: imports %.3f s, load %.3f s, fit %.3f s, metrics %.3f s, save %.3f s",
        _IMPORTED - _STARTED,
        start - loading,
        fit_seconds,
        measured - fitted,
        time.perf_counter() - measured,
    )


def job_from_command_line(argv=None) -> SimpleNamespace:
    """The fields of Snakemake's job object that main() reads, from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair-data", required=True, help="results/data/pairs/{pair}.npz")
    parser.add_argument("--output", required=True, help="results/svm/{pair}/lam_{alpha}.npz")
    parser.add_argument("--log", help="the job's log file")
    parser.add_argument("--pair", required=True, help="pair name, e.g. 7v9")
    parser.add_argument("--alpha", required=True, type=float, help="lambda = 10^alpha")
    parser.add_argument("--pixel-scale", required=True, type=float, choices=(1.0, 255.0))
    parser.add_argument("--objective", required=True, choices=("article", "vlfeat"))
    parser.add_argument("--gap-tolerance", required=True, type=float)
    args = parser.parse_args(argv)
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


run_job(globals()["snakemake"] if "snakemake" in globals() else job_from_command_line(), main)
