"""Same config, same machine, same numbers: a second run of the whole smoke workflow writes
every result file byte for byte as the first did (timings live in logs/, not in results/)."""

from __future__ import annotations

from pathlib import Path

import yaml
from conftest import run_snakemake


def result_files(workdir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(workdir)): p.read_bytes() for p in sorted((workdir / "results").rglob("*")) if p.is_file()}


def test_a_second_run_writes_the_same_bytes(smoke_run, copy_of):
    workdir = copy_of(smoke_run)
    first = result_files(workdir)
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    result = run_snakemake(workdir, config, "--forceall")
    assert result.returncode == 0, result.stderr[-3000:]
    second = result_files(workdir)
    assert sorted(second) == sorted(first)
    differing = [name for name in first if first[name] != second[name]]
    assert differing == [], differing
    assert len(first) > 100  # tables, models, figures (PNG and PDF), the claims and the explorer
