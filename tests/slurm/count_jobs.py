#!/usr/bin/env python3
"""How many SLURM jobs a run from scratch submits with the project's SLURM profile.

    .venv/bin/python tests/slurm/count_jobs.py                      # full default config
    .venv/bin/python tests/slurm/count_jobs.py --configfile tests/config/smoke.yaml
    .venv/bin/python tests/slurm/count_jobs.py -- --omit-from lenet_train   # extra args

A dry run (--forceall, in an empty scratch directory, so existing results do not
matter) with `--workflow-profile profiles/slurm` prints each group job once ("Group job
NAME") with its member jobs indented below it, and every other job on its own. Every
group job is one sbatch; every other job is one sbatch unless its rule runs on the
submitting host (localrules and rules without an action such as `all`).
No SLURM is needed: nothing is submitted.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "profiles" / "slurm"

GROUP_RE = re.compile(r"Group job (\S+) \(jobs in")
TOP_RULE_RE = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):$")
MEMBER_RE = re.compile(r"^\s+(?:local)?(?:rule|checkpoint) (\w+):$")


def local_rules(configfiles: list[str]) -> set[str]:
    """Rules that never reach sbatch: `localrules:` and rules without an action."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    with tempfile.TemporaryDirectory() as scratch, SnakemakeApi(OutputSettings(quiet={"all"})) as api:
        workflow_api = api.workflow(
            resource_settings=ResourceSettings(cores=1),
            config_settings=ConfigSettings(configfiles=[Path(f).resolve() for f in configfiles]),
            snakefile=REPO / "Snakefile",
            workdir=Path(scratch),
        )
        workflow = workflow_api._workflow  # the parsed workflow; no DAG is built
        return {rule.name for rule in workflow.rules if rule.name in workflow._localrules or rule.norun}


def dry_run(configfiles: list[str], extra: list[str], cores: int) -> str:
    with tempfile.TemporaryDirectory() as scratch:
        command = [
            sys.executable, "-m", "snakemake",
            "--snakefile", str(REPO / "Snakefile"),
            "--directory", scratch,
            "--workflow-profile", str(PROFILE),
            "--cores", str(cores),
            "--dry-run", "--forceall", "--quiet", "host",
            *[arg for f in configfiles for arg in ("--configfile", str(Path(f).resolve()))],
            *extra,
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("TILTING_SLURM_")}
        result = subprocess.run(command, capture_output=True, text=True, env=env)
        if result.returncode != 0:
            sys.exit(f"dry run failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result.stdout + result.stderr


def count(text: str, local: set[str]) -> dict:
    groups: Counter = Counter()  # group name -> SLURM jobs
    grouped: Counter = Counter()  # rule -> jobs run inside group jobs
    single: Counter = Counter()  # rule -> jobs submitted on their own
    on_host: Counter = Counter()  # rule -> jobs run on the submitting host
    for line in text.splitlines():
        if m := GROUP_RE.search(line):
            groups[m.group(1)] += 1
        elif m := MEMBER_RE.match(line):
            grouped[m.group(1)] += 1
        elif m := TOP_RULE_RE.match(line):
            (on_host if m.group(1) in local else single)[m.group(1)] += 1
    return {
        "slurm_jobs": sum(groups.values()) + sum(single.values()),
        "group_jobs": dict(groups),
        "jobs_in_groups": dict(grouped),
        "single_jobs": dict(single),
        "local_jobs": dict(on_host),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configfile", action="append", default=[], help="merged over config.yaml")
    parser.add_argument("--cores", type=int, default=8, help="CPU cap of one SLURM job (as in the profile)")
    parser.add_argument("extra", nargs="*", help="further snakemake arguments (after --)")
    args = parser.parse_args(argv)
    counts = count(dry_run(args.configfile, args.extra, args.cores), local_rules(args.configfile))
    jobs = sum(counts["jobs_in_groups"].values()) + sum(counts["single_jobs"].values())
    print(f"SLURM jobs submitted: {counts['slurm_jobs']} (for {jobs} workflow jobs)")
    print(f"  group jobs:   {counts['group_jobs']} running {counts['jobs_in_groups']}")
    print(f"  single jobs:  {counts['single_jobs']}")
    print(f"  on the host:  {counts['local_jobs']}")
    return counts


if __name__ == "__main__":
    main()
