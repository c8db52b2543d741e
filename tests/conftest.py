"""Shared fixtures: tiny MNIST IDX files written by the tests, and one smoke run of the
whole workflow (tests/config/smoke.yaml) that every stage's workflow tests inspect."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow" / "scripts"))

SHARED_MNIST = REPO.parent / "shared" / "data"
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
SMOKE_CONFIG = REPO / "tests" / "config" / "smoke.yaml"

# Headless Chromium as root on a closed network (no sandbox, no background requests).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",  # a container's /dev/shm (64 MB) can crash the renderer
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name ([state, ppid, ..., starttime at 19, ...]);
    None if there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None


def alive(pid: int) -> bool:
    """Whether the process runs; a zombie (ended, not yet reaped) counts as ended."""
    fields = proc_stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def find_chromium() -> str | None:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def find_chromedriver() -> str | None:
    """Debian's chromedriver (package chromium-driver), the driver of that same Chromium."""
    return shutil.which("chromedriver") or next((p for p in ("/usr/bin/chromedriver",) if Path(p).exists()), None)


def browser_missing(reason: str) -> None:
    """Skip a browser test, or fail it when TILTING_REQUIRE_BROWSER=1 (set by .ci/run)."""
    if os.environ.get("TILTING_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TILTING_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX encoding of a uint8 array (magic 0x0000 08 ndim, big-endian dims)."""
    from tilting.mnist_idx import idx_header

    array = np.ascontiguousarray(array, dtype=np.uint8)
    return idx_header(array) + array.tobytes()


def synthetic_digits(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """28x28 images whose class is learnable: a digit-specific blob plus noise, 0-255."""
    yy, xx = np.mgrid[0:28, 0:28]
    images = np.empty((labels.size, 28, 28), np.uint8)
    for k, digit in enumerate(labels):
        angle = 2 * np.pi * digit / 10
        cy, cx = 14 + 7 * np.sin(angle), 14 + 7 * np.cos(angle)
        blob = 230 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 3.0**2))
        noise = rng.normal(0, 25, size=(28, 28))
        images[k] = np.clip(blob + noise, 0, 255).astype(np.uint8)
    return images


def write_tiny_mnist(root: Path, train_per_digit: int = 60, test_per_digit: int = 20, seed: int = 0) -> dict:
    """Write MNIST/raw/*.gz under ``root``; return the md5 of each decompressed file."""
    rng = np.random.default_rng(seed)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    checksums = {}
    for split, per_digit in (("train", train_per_digit), ("t10k", test_per_digit)):
        labels = rng.permutation(np.repeat(np.arange(10, dtype=np.uint8), per_digit))
        for kind, array in (("images-idx3", synthetic_digits(labels, rng)), ("labels-idx1", labels)):
            name = f"{split}-{kind}-ubyte"
            payload = idx_bytes(array)
            with gzip.open(raw / f"{name}.gz", "wb") as handle:
                handle.write(payload)
            checksums[name] = hashlib.md5(payload).hexdigest()
    return checksums


@pytest.fixture(scope="session", autouse=True)
def private_fork_servers(tmp_path_factory):
    """The fork servers of the SVM fits (tilting.forkserver) that the tests start live in a
    folder of this session and exit 10 s after their last job, not 60 s."""
    from tilting import forkserver

    folder = tmp_path_factory.mktemp("forkservers")
    folder.chmod(0o700)
    saved = {name: os.environ.get(name) for name in (forkserver.DIR_ENV, forkserver.IDLE_ENV)}
    os.environ[forkserver.DIR_ENV] = str(folder)
    os.environ[forkserver.IDLE_ENV] = "10"
    yield folder
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory):
    """(root, checksums) of a tiny MNIST: 60 training and 20 test images per digit."""
    root = tmp_path_factory.mktemp("tiny_mnist")
    return root, write_tiny_mnist(root)


def smoke_config(tiny_root: Path, checksums: dict) -> dict:
    config = yaml.safe_load(SMOKE_CONFIG.read_text())
    config["data"]["offline_dir"] = str(tiny_root)
    config["data"]["checksums"] = checksums
    return config


def with_defaults(config: dict, defaults: dict | None = None) -> dict:
    """``config`` merged over the repository's config.yaml, key by key, as Snakemake merges a
    --configfile: the config a run of ``config`` sees."""
    merged = dict(yaml.safe_load((REPO / "config.yaml").read_text()) if defaults is None else defaults)
    for key, value in config.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = with_defaults(value, merged[key])
        else:
            merged[key] = value
    return merged


def run_snakemake(workdir: Path, config: dict, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run the repo's workflow in ``workdir`` with ``config`` written as its config file."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "config.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    command = [
        *SNAKEMAKE,
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(config_path),
        "--cores",
        "2",
        *args,
    ]
    env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg")
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="session")
def smoke_run(tiny_mnist, tmp_path_factory):
    """One full run of the workflow on the smoke config; returns its working directory."""
    workdir = tmp_path_factory.mktemp("smoke")
    config = smoke_config(*tiny_mnist)
    result = run_snakemake(workdir, config)
    if result.returncode != 0:
        pytest.fail(f"smoke workflow failed:\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}")
    return workdir


@pytest.fixture
def copy_of(tmp_path):
    """Copy a finished workdir so that a test can change and rerun it in isolation."""

    def _copy(source: Path) -> Path:
        target = tmp_path / "copy"
        shutil.copytree(source, target, symlinks=True)
        return target

    return _copy


def job_counts(output: str) -> dict[str, int]:
    """Parse the 'Job stats' table of a snakemake (dry-)run into {rule: count}."""
    counts: dict[str, int] = {}
    lines = output.splitlines()
    for start, line in enumerate(lines):
        if line.strip() == "Job stats:":
            break
    else:
        return counts
    for line in lines[start + 3 :]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        if parts[0] != "total":
            counts[parts[0]] = int(parts[1])
    return counts
