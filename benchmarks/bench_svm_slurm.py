"""Benchmark of the SVM fits through SLURM: one pair's lambda grid run with profiles/slurm (one
SLURM job for the pair: its sample, fits and metrics) beside the same fits run locally.

    python benchmarks/bench_svm_slurm.py --pair 7v9 --mnist ../shared/data          # 81 fits
    python benchmarks/bench_svm_slurm.py --pair 7v9 --exponents -1 7 0.4            # 21 fits

Needs a running SLURM cluster (tests/slurm/start_cluster.sh) without an accounting database
(the status is read with squeue). Prints the wall time of the pair's SLURM job, fits per second
through SLURM and locally, and their CPU per fit against the fits' own solver CPU.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_svm import fit_timings  # noqa: E402

STAMP_RE = re.compile(r"^\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]")


def run(workdir: Path, cores: int, slurm: bool, targets: list[str]) -> float:
    command = [
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
        "--configfile", str(REPO / "config.yaml"), str(workdir / "bench_config.yaml"), "--cores", str(cores),
    ]  # fmt: skip
    if slurm:
        command += [
            "--workflow-profile", str(REPO / "profiles" / "slurm"), "--slurm-status-command", "squeue",
            "--slurm-init-seconds-before-status-checks", "2", "--seconds-between-status-checks", "2",
        ]  # fmt: skip
    start = time.perf_counter()
    result = subprocess.run([*command, "--", *targets], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"snakemake failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    (workdir / ("slurm.log" if slurm else "local.log")).write_text(result.stdout + result.stderr)
    return time.perf_counter() - start


def group_seconds(log: str) -> float:
    """From the submission of the pair's SLURM job to Snakemake seeing its last job finished."""
    stamp, submitted, finished = None, None, None
    for line in log.splitlines():
        if match := STAMP_RE.match(line):
            stamp = datetime.strptime(match.group(1), "%a %b %d %H:%M:%S %Y")
        elif "group_svm_pair" in line and "has been submitted" in line:
            submitted = stamp
        elif line.startswith("Finished jobid") and submitted is not None:
            finished = stamp
    return (finished - submitted).total_seconds() if submitted and finished else float("nan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--workdir", default="/tmp/boundary-tilting-bench-svm-slurm")
    parser.add_argument("--pair", default="7v9")
    parser.add_argument("--exponents", nargs=3, type=float, metavar=("START", "STOP", "STEP"))
    parser.add_argument("--cores", type=int, default=1, help="CPUs of the pair's SLURM job, and local cores")
    args = parser.parse_args(argv)

    config = {"data": {"offline_dir": str(Path(args.mnist).resolve())}, "pairs": [args.pair]}
    if args.exponents:
        start, stop, step = args.exponents
        config["svm"] = {"lambda_exponents": {"start": start, "stop": stop, "step": step}}
    targets = [f"results/svm/{args.pair}/metrics.csv"]
    results = {}
    for mode in ("slurm", "local"):
        workdir = Path(args.workdir) / mode
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        (workdir / "bench_config.yaml").write_text(yaml.safe_dump(config))
        run(workdir, args.cores, False, ["results/data/mnist.npz"])  # the download/read, outside the timing
        wall = run(workdir, args.cores, mode == "slurm", targets)
        timings = fit_timings(workdir, [args.pair])
        parents = {m.group(1) for p in (workdir / "logs" / "svm" / args.pair).glob("lam_*.log")
                   if (m := re.search(r"parent (\d+)", p.read_text()))}  # fmt: skip
        results[mode] = (wall, timings, parents, workdir)

    fits = len(list((results["local"][3] / "results" / "svm" / args.pair).glob("lam_*.npz")))
    solver = sum(t["cpu"] for t in results["local"][1].values())
    print(f"{args.pair}: {fits} fits, {solver:.1f} s of solver CPU in the local run's logs")
    for mode, (wall, timings, parents, workdir) in results.items():
        line = f"  {mode:5s}: {wall:.1f} s wall for the pair's sample, fits and metrics: {fits / wall:.2f} fits/s"
        if mode == "slurm":
            group = group_seconds((workdir / "slurm.log").read_text())
            line += f" (the pair's SLURM job {group:.0f} s from submission to its end)"
        line += f"; {len(parents)} fork server(s)"
        print(line)
    ratio = results["slurm"][0] / results["local"][0]
    print(f"  SLURM / local wall: {ratio:.2f}")


if __name__ == "__main__":
    main()
