"""Benchmark the certified linear-SVM solver (tilting.svm) on real MNIST pairs.

For each pair: all lambda = 10^a, a = -1.0 ... 7.0 step 0.1 (pixels 0-255), one model at a time
from scratch, CPU time per model (time.process_time, one BLAS thread), duality gap, iterations;
then totals. Optionally libsvm (sklearn SVC, linear kernel, C = 1/(2 lam n)) on a few lambda for
comparison of time and objective.

    .venv/bin/python benchmarks/bench_solver.py [--pairs 7v9 0v1] [--libsvm -1 1 3 5]
        [--raw ../shared/data/MNIST/raw] [--step 0.1]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

import yaml  # noqa: E402

from tilting import svm  # noqa: E402
from tilting.mnist_idx import load_mnist_raw  # noqa: E402
from tilting.pairs import make_pair  # noqa: E402

#: the published md5 of the MNIST files, from the workflow's config
CHECKSUMS = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())["data"]["checksums"]


def article_objective(x, y, w, b, lam):
    return float(np.mean(np.maximum(0.0, 1.0 - y * (x @ w + b))) + lam * w @ w)


FRESH_SCRIPT = """
import sys, time
t0 = time.process_time()
sys.path.insert(0, sys.argv[1])
import numpy as np
from tilting import svm
t1 = time.process_time()
data = np.load(sys.argv[2])
fit = svm.fit_linear_svm(data["x"], data["y"], float(sys.argv[3]), objective=sys.argv[4])
t2 = time.process_time()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {fit.seconds:.3f} {fit.gap:.2e} {fit.solver}")
"""


def fresh_processes(x, y, exponents, objective) -> None:
    """Each lambda in its own interpreter, like a Snakemake script job (without Snakemake)."""
    import resource
    import subprocess
    import tempfile

    scripts = str(Path(__file__).resolve().parents[1] / "workflow" / "scripts")
    env = dict(os.environ)
    print("\n-- fresh processes (one model each): import s, load+fit s (fit alone), process CPU s, wall s")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pair.npz")
        np.savez(path, x=x, y=y)
        for alpha in exponents:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            w0 = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", FRESH_SCRIPT, scripts, path, repr(10.0**alpha), objective],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            ).stdout.split()
            wall = time.perf_counter() - w0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            print(
                f"   alpha {alpha:5.2f}: import {out[0]} s, load+fit {out[1]} s (fit {out[2]} s, gap {out[3]}, "
                f"{out[4]}), process CPU {cpu:.3f} s, wall {wall:.3f} s",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", nargs="+", default=["7v9", "0v1"])
    parser.add_argument("--raw", default="../shared/data/MNIST/raw")
    parser.add_argument("--per-class", type=int, default=3000)
    parser.add_argument("--start", type=float, default=-1.0)
    parser.add_argument("--stop", type=float, default=7.0)
    parser.add_argument("--step", type=float, default=0.1)
    parser.add_argument("--scale", type=float, default=1.0, help="divide pixels by this (255 for the [0, 1] scale)")
    parser.add_argument(
        "--libsvm",
        nargs="*",
        type=float,
        default=[1.0, 3.0, 5.0],
        help="exponents at which to also time libsvm (first pair only)",
    )
    parser.add_argument("--objective", default="article", choices=svm.OBJECTIVES)
    parser.add_argument(
        "--fresh",
        nargs="*",
        type=float,
        default=[-1.0, 1.0, 3.0, 5.0, 7.0],
        help="exponents solved again, each in a fresh Python process (first pair only): "
        "CPU of the whole process, imports and page faults included",
    )
    args = parser.parse_args()

    mnist = load_mnist_raw(args.raw, CHECKSUMS)
    exponents = np.round(np.arange(args.start, args.stop + args.step / 2, args.step), 2)
    grand = []
    for k, pair in enumerate(args.pairs):
        a, b = (int(c) for c in pair.split("v"))
        data = make_pair(mnist, a, b, args.per_class, "first")
        x = data.x_train if args.scale == 1.0 else data.x_train / args.scale
        y = data.y_train.astype(np.float64)
        print(f"\n== pair {pair}: n={x.shape[0]} d={x.shape[1]} ({int(np.any(x != 0, axis=0).sum())} non-zero columns)")
        print(
            f"{'alpha':>6} {'lambda':>10} {'solver':>11} {'iter':>4} {'cpu_s':>7} {'gap':>9} "
            f"{'objective':>12} {'b':>10} {'uniq':>5} {'|w|':>10}"
        )
        rows = []
        for alpha in exponents:
            lam = 10.0**alpha
            t0 = time.process_time()
            fit = svm.fit_linear_svm(x, y, lam, objective=args.objective)
            cpu = time.process_time() - t0
            rows.append((alpha, cpu, fit.gap, fit.iterations, fit.solver))
            print(
                f"{alpha:6.2f} {lam:10.3g} {fit.solver:>11} {fit.iterations:4d} {cpu:7.3f} {fit.gap:9.2e} "
                f"{fit.objective:12.8f} {fit.b:10.5f} {str(fit.bias_unique):>5} {np.linalg.norm(fit.w):10.4g}",
                flush=True,
            )
        cpu = np.array([r[1] for r in rows])
        gaps = np.array([r[2] for r in rows])
        slow = sorted(rows, key=lambda r: -r[1])[:3]
        print(
            f"-- {pair}: {len(rows)} models, total {cpu.sum():.2f} s CPU, mean {cpu.mean():.3f} s, "
            f"max {cpu.max():.3f} s (alpha {rows[int(cpu.argmax())][0]:.2f}), max gap {gaps.max():.2e}, "
            f"solvers {sorted(set(r[4] for r in rows))}"
        )
        print("   slowest: " + ", ".join(f"alpha {r[0]:.2f}: {r[1]:.3f} s" for r in slow))
        grand.extend(rows)

        if k == 0 and args.fresh:
            fresh_processes(x, y, args.fresh, args.objective)

        if k == 0 and args.libsvm:
            from sklearn.svm import SVC  # imported late: only the comparison needs it

            print(f"\n-- libsvm (SVC linear, C = 1/(2 lam n), tol 1e-6) on {pair}")
            for alpha in args.libsvm:
                lam = 10.0**alpha
                t0 = time.process_time()
                model = SVC(kernel="linear", C=1.0 / (2.0 * lam * len(y)), tol=1e-6)
                model.fit(np.asarray(x, dtype=np.float64), y)
                t_lib = time.process_time() - t0
                w_ref, b_ref = model.coef_.ravel(), float(model.intercept_[0])
                ref = article_objective(np.asarray(x, dtype=np.float64), y, w_ref, b_ref, lam)
                fit = svm.fit_linear_svm(x, y, lam)
                rel = np.linalg.norm(fit.w - w_ref) / np.linalg.norm(w_ref)
                print(
                    f"   alpha {alpha:5.2f}: libsvm {t_lib:7.2f} s, objective {ref:.10f}; ours {fit.seconds:6.3f} s, "
                    f"objective {fit.objective:.10f} (dual {fit.dual_objective:.10f}); "
                    f"libsvm - ours = {ref - fit.objective:.2e}; |w - w_libsvm|/|w_libsvm| = {rel:.2e}; "
                    f"b {fit.b:.6f} vs {b_ref:.6f}",
                    flush=True,
                )

    cpu = np.array([r[1] for r in grand])
    gaps = np.array([r[2] for r in grand])
    print(
        f"\n== all: {len(grand)} models, total {cpu.sum():.2f} s CPU, mean {cpu.mean():.3f} s, "
        f"max {cpu.max():.3f} s, max gap {gaps.max():.2e}"
    )
    print(
        f"   projected full sweep (45 pairs x {len(exponents)} lambda) at this mean: "
        f"{45 * len(exponents) * cpu.mean() / 60:.1f} CPU-min, {45 * len(exponents) * cpu.mean() / 120:.1f} min on 2 cores "
        f"(+ start-up per job)"
    )


if __name__ == "__main__":
    main()
