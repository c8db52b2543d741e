"""Benchmark of the linear-SVM sweep (issue 3): the whole pairs x lambda grid through
Snakemake on real MNIST in a scratch work directory, then the naive scikit-learn loop
on one pair beside it.

    python benchmarks/bench_svm.py --mnist ../shared/data --cores 2            # 45 x 81
    python benchmarks/bench_svm.py --mnist ../shared/data --pairs 7v9 0v1 1v8  # reduced

Prints: wall time of the sweep (fits + metrics table; the data stage is prepared and
timed separately first), the slowest models, the largest duality gap and identity
residual, the share of wall time spent outside the solver (1 - sum(fit_seconds) /
(cores x wall)), the per-job overhead from Snakemake's benchmark files, the wall time of
the figures, and the naive loop (LinearSVC, liblinear; optionally SVC, libsvm) with its
unconverged count, its objective excess over the certified optimum and the time ratio.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow" / "scripts"))


def snakemake(workdir: Path, cores: int, targets: list[str], extra: list[str] = ()) -> float:
    """Run the repo's workflow on ``targets``; returns the wall time in seconds."""
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(REPO / "config.yaml"),
        str(workdir / "bench_config.yaml"),
        "--cores",
        str(cores),
        "--quiet",
        "all",
        *extra,
        "--",
        *targets,
    ]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"snakemake failed ({' '.join(targets[:3])} ...):\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return wall


def job_seconds(workdir: Path) -> dict[tuple[str, str], float]:
    """(pair, alpha) -> wall seconds of its svm_fit job (Snakemake's benchmark files)."""
    seconds = {}
    for path in (workdir / "benchmarks" / "svm").glob("*/lam_*.tsv"):
        lines = path.read_text().splitlines()
        if len(lines) >= 2:
            seconds[(path.parent.name, path.stem[4:])] = float(lines[1].split("\t")[0])
    return seconds


def job_phases(workdir: Path) -> dict[str, float]:
    """Mean seconds per svm_fit job of each phase its log reports (load, fit, metrics, save)."""
    import re

    totals: dict[str, list[float]] = {}
    for path in (workdir / "logs" / "svm").glob("*/lam_*.log"):
        for line in path.read_text().splitlines():
            if "timing:" in line:
                for name, value in re.findall(r"(\w+) ([0-9.]+) s", line.split("timing:")[1]):
                    totals.setdefault(name, []).append(float(value))
    return {name: float(np.mean(values)) for name, values in totals.items()}


def naive_loop(pair_path: Path, exponents: list[float], pixel_scale: float, kind: str, table):
    """Fit every lambda of one pair with scikit-learn; returns (seconds, unconverged, objective excess)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import SVC, LinearSVC

    from tilting.data import read_pair

    pair = read_pair(pair_path)
    x = pair.x_train.astype(np.float64) * (pixel_scale / 255.0)
    y = pair.y_train.astype(np.float64)
    n = len(y)
    unconverged, excess = 0, []
    start = time.perf_counter()
    for alpha in exponents:
        lam = 10.0**alpha
        c = 1.0 / (2.0 * lam * n)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            if kind == "linearsvc":
                model = LinearSVC(loss="hinge", C=c, dual=True).fit(x, y)
                w, b = model.coef_.ravel(), float(model.intercept_[0])
            else:
                model = SVC(kernel="linear", C=c, tol=1e-6).fit(x, y)
                w, b = model.coef_.ravel(), float(model.intercept_[0])
        unconverged += any(issubclass(item.category, ConvergenceWarning) for item in caught)
        objective = np.mean(np.maximum(0.0, 1.0 - y * (x @ w + b))) + lam * (w @ w)
        certified = table.loc[np.isclose(table["alpha"], alpha), "objective"]
        if len(certified):
            excess.append(objective / float(certified.iloc[0]) - 1.0)
    return time.perf_counter() - start, unconverged, np.array(excess)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist", default=str(REPO.parent / "shared" / "data"), help="folder holding MNIST/raw/")
    parser.add_argument("--workdir", default="/tmp/boundary-tilting-bench-svm", help="scratch work directory")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--pairs", nargs="+", default=["all"], help="'all' or pairs like 7v9")
    parser.add_argument("--exponents", nargs=3, type=float, metavar=("START", "STOP", "STEP"), default=None)
    parser.add_argument("--naive-pair", default="7v9")
    parser.add_argument("--naive", choices=["linearsvc", "svc", "both", "none"], default="linearsvc")
    parser.add_argument(
        "--naive-every", type=int, default=1, help="naive loop on every k-th lambda only (extrapolated)"
    )
    parser.add_argument("--figures", action="store_true", help="also time the per-pair figures and overview")
    parser.add_argument("--fresh", action="store_true", help="delete earlier svm results in the work dir first")
    parser.add_argument(
        "--reproduce", metavar="PAIR", default=None, help="refit every model of PAIR and compare the metrics rows"
    )
    args = parser.parse_args(argv)

    from tilting.settings import format_exponent, lambda_exponents, resolve_pairs

    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    config = {
        "data": {"offline_dir": str(Path(args.mnist).resolve())},
        "pairs": "all" if args.pairs == ["all"] else args.pairs,
    }
    if args.exponents:
        start, stop, step = args.exponents
        config["svm"] = {"lambda_exponents": {"start": start, "stop": stop, "step": step}}
    (workdir / "bench_config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    defaults = yaml.safe_load((REPO / "config.yaml").read_text())
    grid = dict(defaults["svm"]["lambda_exponents"], **config.get("svm", {}).get("lambda_exponents", {}))
    pixel_scale = float(defaults["svm"]["pixel_scale"])
    exponents = lambda_exponents(**grid)
    pairs = resolve_pairs(config["pairs"])
    if args.fresh:
        import shutil

        for folder in ("results/svm", "benchmarks/svm", "logs/svm"):
            shutil.rmtree(workdir / folder, ignore_errors=True)

    print(f"work dir {workdir}; {len(pairs)} pairs x {len(exponents)} lambda = {len(pairs) * len(exponents)} models")
    data_wall = snakemake(workdir, args.cores, [f"results/data/pairs/{pair}.npz" for pair in pairs])
    print(f"data stage (MNIST + pair samples): {data_wall:.1f} s wall")

    existing = len(job_seconds(workdir))
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sweep_wall = snakemake(workdir, args.cores, ["results/svm/metrics.csv"])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Snakemake's own process plus what it waits for (job clients, bash, aggregation jobs); the
    # fits forked by the fork server are not its children and are not counted here
    snakemake_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    import pandas as pd

    table = pd.read_parquet(workdir / "results" / "svm" / "metrics.parquet")
    table = table[table["pair"].isin(pairs)]
    print(
        f"\nSWEEP: {len(table)} models in {sweep_wall:.1f} s wall on {args.cores} cores "
        f"({sweep_wall / 60:.2f} min; {existing} fits were already cached)"
    )
    print(
        f"  largest duality gap {table['gap'].max():.2e} (pair {table.loc[table['gap'].idxmax(), 'pair']}, "
        f"alpha {table.loc[table['gap'].idxmax(), 'alpha']:+.2f}); gaps > 1e-6: {int((table['gap'] > 1e-6).sum())}"
    )
    print(
        f"  largest identity residual {table['identity_residual'].max():.1e}; "
        f"non-unique bias: {int((~table['bias_unique'].astype(bool)).sum())} models"
    )
    print(f"  CPU of Snakemake, job processes and aggregation jobs (fits excluded): {snakemake_cpu:.1f} s")
    print(f"  solvers: {table['solver'].value_counts().to_dict()}; iterations max {table['iterations'].max()}")
    slowest = table.nlargest(8, "fit_seconds")[["pair", "alpha", "fit_seconds", "iterations", "solver", "gap"]]
    print("  slowest models:\n" + "\n".join("    " + line for line in slowest.to_string(index=False).splitlines()))
    fit_total = float(table["fit_seconds"].sum())
    if existing == 0:
        share = 1.0 - fit_total / (args.cores * sweep_wall)
        print(
            f"  sum of fit_seconds {fit_total:.1f} s vs cores x wall {args.cores * sweep_wall:.1f} s: "
            f"{100 * share:.1f} % of the sweep outside solving (start-up, I/O, metrics, scheduling)"
        )
    else:
        print(f"  sum of fit_seconds {fit_total:.1f} s (overhead share not computed: cached fits; use --fresh)")
    jobs = job_seconds(workdir)
    per_pair_jobs = {}
    if jobs:
        job_total = sum(jobs.values())
        print(
            f"  svm_fit jobs: {len(jobs)}, sum of job wall {job_total:.1f} s, mean {job_total / len(jobs):.3f} s; "
            f"in-job time outside the solver {job_total - fit_total:.1f} s "
            f"({(job_total - fit_total) / len(jobs):.3f} s per job)"
        )
        phases = job_phases(workdir)
        if phases:
            inside = sum(phases.values())
            print(
                "  mean per svm_fit job: "
                + ", ".join(f"{k} {v:.3f} s" for k, v in phases.items())
                + f"; job process, fork server hand-over and Snakemake's shell wrapper ~{job_total / len(jobs) - inside:.3f} s"
            )
        for (pair, _), seconds in jobs.items():
            per_pair_jobs[pair] = per_pair_jobs.get(pair, 0.0) + seconds

    if args.reproduce:
        pair = args.reproduce
        before = pd.read_csv(workdir / "results" / "svm" / pair / "metrics.csv")
        rerun_wall = snakemake(workdir, args.cores, [f"results/svm/{pair}/metrics.csv"], ["--forcerun", "svm_fit"])
        after = pd.read_csv(workdir / "results" / "svm" / pair / "metrics.csv")
        numeric = [c for c in before.columns if c not in ("pair", "solver", "bias_unique", "fit_seconds", "iterations")]
        scale = np.maximum(np.abs(before[numeric].to_numpy()), 1.0)
        difference = np.abs(after[numeric].to_numpy() - before[numeric].to_numpy()) / scale
        worst = float(difference.max())
        row, column = np.unravel_index(int(np.argmax(difference)), difference.shape)
        if worst > 0:
            print(
                f"  largest change: alpha {after['alpha'][row]:+.2f}, column {numeric[column]}: "
                f"{before[numeric[column]][row]!r} -> {after[numeric[column]][row]!r}"
            )
        same = (
            (before[["solver", "bias_unique", "iterations"]] == after[["solver", "bias_unique", "iterations"]])
            .all()
            .all()
        )
        print(
            f"\nREPRODUCIBILITY: {len(after)} models of {pair} refitted in {rerun_wall:.1f} s; largest difference "
            f"{worst:.1e} (relative, or absolute below 1); solver, bias_unique, iterations identical: {same}"
        )

    if args.figures:
        targets = ["results/figures/4_svm_overview_curves.png"] + [
            f"results/figures/4_svm_{pair}_{kind}.png" for pair in pairs for kind in ("histograms", "mirrors")
        ]
        figure_wall = snakemake(workdir, args.cores, targets)
        print(f"\nFIGURES, projections and mirror images of {len(pairs)} pairs: {figure_wall:.1f} s wall")

    if args.naive != "none":
        pair = args.naive_pair
        pair_table = table[table["pair"] == pair]
        if pair_table.empty:
            sys.exit(f"--naive-pair {pair} is not among the benchmarked pairs")
        chosen = exponents[:: args.naive_every]
        ours_pair = per_pair_jobs.get(pair, float(pair_table["fit_seconds"].sum()))
        ours_fit = float(pair_table["fit_seconds"].sum())
        print(f"\nNAIVE scikit-learn loop on {pair}, {len(chosen)} of {len(exponents)} lambda values, 1 process:")
        kinds = ["linearsvc", "svc"] if args.naive == "both" else [args.naive]
        for kind in kinds:
            seconds, unconverged, excess = naive_loop(
                workdir / "results" / "data" / "pairs" / f"{pair}.npz", chosen, pixel_scale, kind, pair_table
            )
            full = seconds * len(exponents) / len(chosen)
            print(
                f"  {kind}: {seconds:.1f} s ({full:.1f} s for all {len(exponents)} lambda"
                f"{', extrapolated' if len(chosen) < len(exponents) else ''}); "
                f"{unconverged} unconverged (ConvergenceWarning); objective above the certified optimum: "
                f"median {100 * np.median(excess):.2g} %, max {100 * excess.max():.3g} %"
            )
            print(
                f"    ours for {pair}: {ours_pair:.1f} s of svm_fit jobs ({ours_fit:.1f} s in the solver), "
                f"1 core -> naive/ours = {full / ours_pair:.1f}x; whole sweep naive on {args.cores} cores "
                f"~ {full * len(pairs) / args.cores / 60:.1f} min vs ours {sweep_wall / 60:.2f} min"
            )
    print(f"\nexponent format of the model files: lam_{format_exponent(exponents[0])}.npz ...")


if __name__ == "__main__":
    main()
