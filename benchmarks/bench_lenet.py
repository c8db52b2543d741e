"""Benchmark of the LeNet stage on real MNIST with the settings of method §5.

Trains LeNet_low and LeNet_high (50 epochs, batch 300, lr 5e-4, momentum 0.9 by default),
prints one line per epoch, then seconds per epoch and the final errors beside the article's
(final test error 1.6 % for LeNet_low, 1.2 % for LeNet_high).

    python benchmarks/bench_lenet.py --mnist-dir ../shared/data            # the full run
    python benchmarks/bench_lenet.py --epochs 3                             # per-epoch times
    python benchmarks/bench_lenet.py --epochs 2 --sequential --threads 2    # one after the other

By default the networks train at the same time in separate processes, one CPU thread each,
as the workflow's lenet_train jobs do under ``snakemake --cores 2``; ``--sequential`` trains
them one after the other with ``--threads`` threads each.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow" / "scripts"))

import yaml  # noqa: E402

from tilting import lenet_files, lenet_training  # noqa: E402
from tilting.mnist_idx import load_mnist_raw  # noqa: E402

CONFIG = yaml.safe_load((REPO / "config.yaml").read_text())


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist-dir", default=str(REPO.parent / "shared" / "data"), help="folder holding MNIST/raw/")
    parser.add_argument("--networks", default="low=1e-4,high=1e-1", help="name=weight_decay,...")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=300)
    parser.add_argument("--learning-rate", type=float, default=0.0005)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-images", type=int, default=None, help="first N training images (default all)")
    parser.add_argument("--test-images", type=int, default=None, help="first N test images (default all)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads per network")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--sequential", action="store_true", help="train the networks one after the other")
    parser.add_argument("--out", default=None, help="folder for history_<net>.csv files")
    parser.add_argument("--only", default=None, help=argparse.SUPPRESS)  # one network (internal)
    return parser.parse_args(argv)


def networks(text: str) -> dict[str, float]:
    pairs = [item.split("=") for item in text.split(",") if item]
    return {name.strip(): float(value) for name, value in pairs}


def train_one(args, net: str, decay: float, mnist) -> dict:
    log = logging.getLogger(net)
    settings = lenet_training.TrainSettings(
        weight_decay=decay,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        momentum=args.momentum,
        init_scale=CONFIG["lenet"]["init_scale"],
        seed=args.seed,
        device=args.device,
        train_images=args.train_images,
        test_images=args.test_images,
    )
    start, cpu_start = time.perf_counter(), time.process_time()
    result = lenet_training.train(mnist, settings, log=log, threads=args.threads)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        lenet_files.write_history(Path(args.out) / f"history_{net}.csv", result.history)
    seconds = [row["seconds"] for row in result.history]
    final = result.history[-1]
    return {
        "net": net,
        "weight_decay": decay,
        "epochs": len(result.history),
        "seconds_per_epoch_mean": sum(seconds) / len(seconds),
        "seconds_per_epoch_min": min(seconds),
        "wall_seconds": wall,
        "cpu_seconds_per_epoch": cpu / len(result.history),
        "train_error": final["train_error"],
        "test_error": final["test_error"],
        "weight_rms": lenet_files.weight_rms(result.model),
    }


def article(net: str) -> str:
    """The article's final test error of a network, as config.yaml's claims section states it."""
    import yaml

    references = yaml.safe_load((REPO / "config.yaml").read_text())["claims"]["lenet_reference_test_error"]
    return f"{100 * references[net]:.1f} %" if net in references else "-"


def main(argv=None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S", stream=sys.stdout)
    nets = networks(args.networks)
    if args.only:
        mnist = load_mnist_raw(Path(args.mnist_dir) / "MNIST" / "raw", CONFIG["data"]["checksums"])
        print("RESULT " + json.dumps(train_one(args, args.only, nets[args.only], mnist)), flush=True)
        return
    start = time.perf_counter()
    if not args.sequential:
        argv = sys.argv[1:] if argv is None else list(argv)
        children = {
            net: subprocess.Popen([sys.executable, __file__, *argv, "--only", net], stdout=subprocess.PIPE, text=True)
            for net in nets
        }
        results = []
        for net, child in children.items():
            output, _ = child.communicate()
            for line in output.splitlines():
                if line.startswith("RESULT "):
                    results.append(json.loads(line[len("RESULT ") :]))
                else:
                    print(line)
            if child.returncode:
                raise SystemExit(f"network {net} failed")
    else:
        mnist = load_mnist_raw(Path(args.mnist_dir) / "MNIST" / "raw", CONFIG["data"]["checksums"])
        results = [train_one(args, net, decay, mnist) for net, decay in nets.items()]
    total = time.perf_counter() - start

    mode = f"{'sequential' if args.sequential else 'parallel'}, {args.threads} thread(s) per network"
    print(f"\nLeNet on MNIST, {args.epochs} epochs, batch {args.batch_size}, lr {args.learning_rate} ({mode})")
    print("s/epoch: wall seconds per epoch (mean, min); cpu: CPU seconds per epoch (all threads)")
    print(f"{'net':>6} {'lambda':>8} {'s/epoch':>8} {'min':>6} {'cpu':>6} {'train err':>10} {'test err':>9} {'article':>8}   weight RMS")
    for r in results:
        rms = " ".join(f"{layer} {value:.4f}" for layer, value in r["weight_rms"].items())
        print(
            f"{r['net']:>6} {r['weight_decay']:>8g} {r['seconds_per_epoch_mean']:>8.2f} {r['seconds_per_epoch_min']:>6.2f} "
            f"{r['cpu_seconds_per_epoch']:>6.2f} "
            f"{100 * r['train_error']:>9.2f}% {100 * r['test_error']:>8.2f}% {article(r['net']):>8}   {rms}"
        )
    print(f"total wall time {total:.1f} s ({total / 60:.1f} min)")


if __name__ == "__main__":
    main()
