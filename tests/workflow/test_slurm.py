"""The workflow on SLURM: the project's SLURM profile (profiles/slurm) runs the smoke config
through a real single-node cluster (tests/slurm/start_cluster.sh, started by .ci/run) and
its outputs must equal the local smoke run's; the batching of the profile is checked
from a dry run, without SLURM.

Without a running cluster the SLURM test is skipped with the reason, unless
TILTING_REQUIRE_SLURM=1 (set by .ci/run when it could start one): then it fails.
TILTING_SLURM_REPORT=FILE writes the measured job count and times there as JSON.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REPO, SMOKE_CONFIG, SNAKEMAKE, smoke_config
from tilting import forkserver

sys.path.insert(0, str(REPO / "tests" / "slurm"))
import count_jobs  # noqa: E402

PROFILE = REPO / "profiles" / "slurm"
# Hard limit of the SLURM run: an unschedulable (forever PENDING) job fails the test.
SLURM_TIMEOUT = int(os.environ.get("TILTING_SLURM_TEST_TIMEOUT", "480"))
# The SLURM run makes what these rules of the default target need (snakemake --until):
# the data and SVM stages, i.e. the SVM groups and a job after them. The toy, LeNet and
# report stages are left out to keep the test short (each SLURM wave of jobs costs
# seconds of polling); tests/slurm/count_jobs.py covers their batching.
UNTIL = ["svm_metrics", "svm_figures"]
SUBMITTED_RE = re.compile(r"has been submitted with SLURM jobid (\d+) \(log: ([^)]*)\)")
# Table columns and npz arrays that measure the machine rather than the result.
TIMING_COLUMN_RE = re.compile(r"time|second|elapsed|duration|wall", re.IGNORECASE)
FIGURE_SUFFIXES = {".png", ".pdf", ".svg", ".jpg"}
RTOL = 1e-5


def until_args() -> list[str]:
    return ["--until", *UNTIL] if UNTIL else []


def clean_env() -> dict:
    """The test's environment: no user switches of the SLURM profile (GPUs, account, ...)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILTING_SLURM_")}
    # the fork server of a pair's job outlives any pause between its fits on a loaded node
    return dict(env, PYTHONHASHSEED="0", MPLBACKEND="Agg", **{forkserver.IDLE_ENV: "60"})


# ---- batching, from a dry run (no SLURM needed) ------------------------------------


def test_profile_batches_each_pair_into_one_slurm_job():
    config = yaml.safe_load(SMOKE_CONFIG.read_text())
    counts = count_jobs.main(["--configfile", str(SMOKE_CONFIG)])
    pairs = len(config["pairs"])
    assert counts["group_jobs"].get("svm_pair") == pairs, counts
    assert "svm_fit" not in counts["single_jobs"], "every SVM fit must run inside a group job"
    assert counts["jobs_in_groups"]["svm_fit"] == pairs * 3  # 3 lambda values in smoke.yaml
    jobs = sum(counts["jobs_in_groups"].values()) + sum(counts["single_jobs"].values())
    assert counts["slurm_jobs"] < jobs / 2, counts


# ---- the smoke workflow through a real SLURM ---------------------------------------


@pytest.fixture(scope="session")
def slurm_cluster() -> int:
    """CPUs of the idle SLURM node; skips (or fails, if required) without a cluster.
    Session-scoped and first in the test's arguments: it skips before the smoke run."""
    required = os.environ.get("TILTING_REQUIRE_SLURM") == "1"

    def unavailable(reason: str):
        reason += " (start one as root: bash tests/slurm/start_cluster.sh)"
        if required:
            pytest.fail(f"TILTING_REQUIRE_SLURM=1 but {reason}")
        pytest.skip(reason)

    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        unavailable("SLURM is not installed (no sinfo/sbatch)")
    try:
        result = subprocess.run(
            ["sinfo", "--noheader", "--format=%T %c"], capture_output=True, text=True, timeout=20
        )
    except subprocess.TimeoutExpired:
        unavailable("no SLURM cluster answers (sinfo timed out)")
    if result.returncode != 0:
        unavailable(f"no SLURM cluster is running ({result.stderr.strip()[:200]})")
    usable = [line.split() for line in result.stdout.splitlines() if line.split()[0] in ("idle", "mixed")]
    if not usable:
        unavailable(f"no idle SLURM node (sinfo: {result.stdout.strip()!r})")
    return max(int(cpus) for _, cpus in usable)


def scancel(job_ids: list[str]) -> None:
    if job_ids and shutil.which("scancel"):
        subprocess.run(["scancel", *job_ids], capture_output=True, timeout=30)


def run_through_slurm(workdir: Path, config: dict, cores: int) -> tuple[int, str, float]:
    """Run the workflow with the SLURM profile; (returncode, log text, seconds)."""
    workdir.mkdir(parents=True)
    config_path = workdir / "config.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    log_path = workdir / "snakemake_slurm.log"
    command = [
        *SNAKEMAKE,
        "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir),
        "--configfile", str(config_path),
        "--workflow-profile", str(PROFILE),
        # a group job asks for at most the node's CPUs, or it would stay PENDING
        "--cores", str(cores),
        # no accounting database on the test cluster: sacct cannot see the jobs
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "2",
        "--seconds-between-status-checks", "2",
        *until_args(),
    ]  # fmt: skip
    start = time.monotonic()
    with log_path.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=clean_env())
        try:
            returncode = process.wait(timeout=SLURM_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)  # snakemake then cancels its SLURM jobs
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            text = log_path.read_text()
            scancel([m.group(1) for m in SUBMITTED_RE.finditer(text)])
            queue = subprocess.run(["squeue", "--states=all"], capture_output=True, text=True).stdout
            pytest.fail(
                f"the SLURM run did not finish within {SLURM_TIMEOUT} s (a job unschedulable, "
                f"e.g. asking for more CPUs or memory than the node has?)\nsqueue:\n{queue}\n"
                f"log tail:\n{text[-6000:]}"
            )
    return returncode, log_path.read_text(), time.monotonic() - start


def local_run_seconds(workdir: Path, rules: set[str] | None = None) -> float | None:
    """Seconds the local run in ``workdir`` took, from its snakemake log: from the first
    start to the last finish of the jobs of ``rules`` (all jobs if None). With other jobs
    running beside them this is an upper bound of what those jobs alone would take."""
    logs = sorted((workdir / ".snakemake" / "log").glob("*.snakemake.log"))
    if not logs:
        return None
    starts, ends, stamp = [], [], None
    for line in logs[-1].read_text().splitlines():
        if m := re.fullmatch(r"\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]", line.strip()):
            stamp = datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
        elif (m := re.match(r"(?:local)?rule (\w+):$", line)) and stamp and m.group(1) != "all":
            if rules is None or m.group(1) in rules:
                starts.append(stamp)
        elif (m := re.match(r"Finished jobid: \d+ \(Rule: (\w+)\)", line)) and stamp:
            if m.group(1) != "all" and (rules is None or m.group(1) in rules):
                ends.append(stamp)
    if not starts or not ends:
        return None
    return (max(ends) - min(starts)).total_seconds()


# ---- comparing outputs --------------------------------------------------------------


def assert_arrays_close(name: str, ours, theirs) -> None:
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{name}: shape {ours.shape} != {theirs.shape}"
    if ours.dtype.kind in "fc" or theirs.dtype.kind in "fc":
        scale = float(np.nanmax(np.abs(theirs))) if theirs.size and np.isfinite(theirs).any() else 1.0
        np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=1e-7 * max(scale, 1e-12), err_msg=name)
    else:
        np.testing.assert_array_equal(ours, theirs, err_msg=name)


def assert_tables_close(name: str, ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    assert list(ours.columns) == list(theirs.columns), f"{name}: columns differ"
    assert ours.shape == theirs.shape, f"{name}: shape {ours.shape} != {theirs.shape}"
    for column in ours.columns:
        if TIMING_COLUMN_RE.search(str(column)):
            continue
        a, b = ours[column], theirs[column]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            assert_arrays_close(f"{name}[{column}]", a.to_numpy(float), b.to_numpy(float))
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), f"{name}[{column}] differs"


NUMBER_RE = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def assert_text_close(name: str, ours: str, theirs: str) -> None:
    """Equal text up to float tolerance in the numbers it prints."""
    assert NUMBER_RE.split(ours) == NUMBER_RE.split(theirs), f"{name}: text differs"
    a = np.array([float(x) for x in NUMBER_RE.findall(ours)])
    b = np.array([float(x) for x in NUMBER_RE.findall(theirs)])
    assert_arrays_close(name, a, b)


def compare_file(relative: str, ours: Path, theirs: Path, ours_root: Path, theirs_root: Path) -> str:
    """Assert one output file of the SLURM run equals the local one; return how compared."""
    suffix = ours.suffix.lower()
    if suffix in FIGURE_SUFFIXES:
        assert ours.stat().st_size > 0, f"{relative}: empty figure"
        return "figure (exists)"
    if suffix == ".npz":
        with np.load(ours, allow_pickle=False) as a, np.load(theirs, allow_pickle=False) as b:
            assert sorted(a.files) == sorted(b.files), f"{relative}: arrays {a.files} != {b.files}"
            for key in a.files:
                if TIMING_COLUMN_RE.search(key):
                    continue
                assert_arrays_close(f"{relative}:{key}", a[key], b[key])
        return "npz"
    if suffix in (".csv", ".tsv"):
        sep = "\t" if suffix == ".tsv" else ","
        assert_tables_close(relative, pd.read_csv(ours, sep=sep), pd.read_csv(theirs, sep=sep))
        return "table"
    if suffix == ".parquet":
        assert_tables_close(relative, pd.read_parquet(ours), pd.read_parquet(theirs))
        return "table"
    if suffix in (".pt", ".pth"):
        import torch

        a, b = torch.load(ours, map_location="cpu"), torch.load(theirs, map_location="cpu")
        a = a.get("state_dict", a) if isinstance(a, dict) else a
        b = b.get("state_dict", b) if isinstance(b, dict) else b
        assert sorted(a) == sorted(b), f"{relative}: keys differ"
        for key in a:
            if hasattr(a[key], "numpy"):
                assert_arrays_close(f"{relative}:{key}", a[key].numpy(), b[key].numpy())
        return "torch"
    try:
        text_a, text_b = ours.read_text(), theirs.read_text()
    except UnicodeDecodeError:
        assert ours.read_bytes() == theirs.read_bytes(), f"{relative}: bytes differ"
        return "bytes"
    text_a = text_a.replace(str(ours_root), "<workdir>")
    text_b = text_b.replace(str(theirs_root), "<workdir>")
    assert_text_close(relative, text_a, text_b)
    return "text"


def output_files(workdir: Path) -> dict[str, Path]:
    return {str(p.relative_to(workdir)): p for p in sorted((workdir / "results").rglob("*")) if p.is_file()}


def test_smoke_workflow_on_slurm_equals_local_run(
    slurm_cluster, smoke_run, tiny_mnist, tmp_path_factory, record_property
):
    # One CPU per SLURM job: the two pairs' group jobs run side by side on a 2-CPU node.
    cores = 1
    workdir = tmp_path_factory.mktemp("slurm") / "work"
    returncode, log, slurm_seconds = run_through_slurm(workdir, smoke_config(*tiny_mnist), cores)
    submitted = SUBMITTED_RE.findall(log)
    assert returncode == 0, f"SLURM run failed (rc {returncode}):\n{log[-8000:]}"

    # The numbers first, so that a failing comparison below still reports them.
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    predicted = count_jobs.main(["--configfile", str(workdir / "config.yaml"), "--", *until_args()])
    subset = set(predicted["jobs_in_groups"]) | set(predicted["single_jobs"])
    report = {
        "slurm_jobs_submitted": len(submitted),
        "workflow_jobs": sum(predicted["jobs_in_groups"].values()) + sum(predicted["single_jobs"].values()),
        "slurm_seconds": round(slurm_seconds, 1),
        # the same jobs inside the local smoke run (beside its other jobs), and that whole run
        "local_seconds_same_jobs": local_run_seconds(smoke_run, subset),
        "local_seconds_whole_smoke_run": local_run_seconds(smoke_run),
        "cores": cores,
        "until": UNTIL,
    }
    publish(report, record_property)

    # Batching: as many SLURM jobs as the dry run of count_jobs.py predicts, one per pair for
    # the SVM stage.
    assert len(submitted) == predicted["slurm_jobs"], (len(submitted), predicted)
    svm_group_jobs = [path for _, path in submitted if "/group_svm_pair" in path]
    assert len(svm_group_jobs) == len(config["pairs"]), submitted

    # Outputs: the same files as the local run, equal up to float tolerance.
    ours, theirs = output_files(workdir), output_files(smoke_run)
    assert ours, "the SLURM run wrote no results"
    missing = sorted(set(ours) - set(theirs))
    assert not missing, f"files only in the SLURM run: {missing}"
    stages = {r for r in theirs if r.startswith(("results/data/", "results/svm/"))}
    assert sorted(stages - set(ours)) == [], "data/SVM outputs missing from the SLURM run"
    kinds: dict[str, int] = {}
    for relative, path in ours.items():
        kind = compare_file(relative, path, theirs[relative], workdir, smoke_run)
        kinds[kind] = kinds.get(kind, 0) + 1
    lam_files = [r for r in ours if re.fullmatch(r"results/svm/\dv\d/lam_.*\.npz", r)]
    assert len(lam_files) == len(config["pairs"]) * 3, lam_files
    assert any(r.startswith("results/data/pairs/") for r in ours)
    # inside each pair's SLURM job the fits ran in that job's own Snakemake (local rules, no srun
    # step and no new Snakemake per fit), all forked by one fork server
    for pair in config["pairs"]:
        fit_logs = sorted((workdir / "logs" / "svm" / pair).glob("lam_*.log"))
        parents = {re.search(r"parent (\d+)", path.read_text()).group(1) for path in fit_logs}
        assert len(fit_logs) == 3 and len(parents) == 1, (pair, parents)
    publish(dict(report, files_compared=kinds), record_property)


def publish(report: dict, record_property) -> None:
    """Print the numbers, record them in the junit XML, and write TILTING_SLURM_REPORT."""
    for key, value in report.items():
        record_property(key, value)
    print(f"\nSLURM smoke run: {json.dumps(report)}")
    if os.environ.get("TILTING_SLURM_REPORT"):
        Path(os.environ["TILTING_SLURM_REPORT"]).write_text(json.dumps(report, indent=2) + "\n")
