# The two commands of the README: `make run` and `make test`. Both create or refresh
# .venv from requirements.txt first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= all
# Extra snakemake arguments, e.g. SNAKEMAKE_ARGS="--config data='{offline_dir: ../shared/data}'"
SNAKEMAKE_ARGS ?=
# A folder holding MNIST/raw/ (no download); empty keeps the torchvision download.
MNIST_DIR ?=
OFFLINE_ARG := $(if $(MNIST_DIR),--config 'data={offline_dir: $(MNIST_DIR)}',)
# The console of `make run`: Snakemake's --quiet rules prints one line per finished job (its rule)
# and "N of M steps (x%) done", not every job's inputs, outputs and reason. QUIET= shows them all.
# (--quiet=VALUE: the spaced form would take the targets that follow for more values.)
QUIET ?= rules
QUIET_ARG := $(if $(QUIET),--quiet=$(QUIET),)
# Config files merged over config.yaml, in order, e.g. CONFIG=config/authors.yaml
CONFIG ?=
CONFIG_FILES := config.yaml $(CONFIG)
# One line naming the file (and line) when a config file is missing or not YAML; Snakemake's
# own messages name neither (or print a traceback).
CHECK_CONFIG = PYTHONPATH=workflow/scripts $(BIN)/python -m tilting.settings $(CONFIG_FILES)

.PHONY: run test dry-run unlock report study bench bench-svm bench-svm-authors bench-svm-slurm bench-lenet lint clean venv

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

run: venv
	$(CHECK_CONFIG)
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG_FILES) $(QUIET_ARG) $(OFFLINE_ARG) $(SNAKEMAKE_ARGS)

dry-run: venv
	$(CHECK_CONFIG)
	$(BIN)/snakemake --dry-run --cores $(CORES) --configfile $(CONFIG_FILES) $(OFFLINE_ARG) $(SNAKEMAKE_ARGS)

# After kill -9 (or a crash of the machine) the working directory stays locked; this removes
# the stale lock, then `make run` finishes what the killed run left incomplete.
unlock: venv
	$(BIN)/snakemake --unlock --cores 1 --configfile $(CONFIG_FILES) $(OFFLINE_ARG) $(SNAKEMAKE_ARGS)

test: venv
	$(BIN)/python -m pytest tests

lint: venv
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules

clean:
	find results -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf logs .snakemake

# The weight-decay study (README, "Weight-decay study"): only its jobs. The reduced CPU grid:
# make study STUDY_CONFIGS="config/lenet_study.yaml config/lenet_study_cpu.yaml"
STUDY_CONFIGS ?= config/lenet_study.yaml
study: venv
	$(BIN)/snakemake lenet_study --cores $(CORES) --configfile config.yaml $(STUDY_CONFIGS) $(OFFLINE_ARG) $(SNAKEMAKE_ARGS)

# The Snakemake report of a finished run (figures, captions, claims table, run explorer). A zip
# by default: the full run's figures and explorer make a single HTML file of ~52 MB, which
# browsers open slowly; unzip it and open report/report.html. One self-contained file instead
# (fine for a few pairs): make report REPORT=results/report.html
REPORT ?= results/report.zip
report: venv
	$(CHECK_CONFIG)
	$(BIN)/snakemake --cores 1 --configfile $(CONFIG_FILES) $(OFFLINE_ARG) $(SNAKEMAKE_ARGS) --report $(REPORT)

# Benchmark of the linear-SVM sweep: all pairs x lambda through Snakemake on real MNIST in a
# scratch work dir (wall time, gaps, time outside the solver, a pair refitted byte for byte).
# The authors' configuration (pixel scale 1, their lambda grid): make bench-svm-authors.
# Reduced run: make bench-svm BENCH_SVM_ARGS="--pairs 7v9 0v1 1v8"
BENCH_SVM_DIR ?= /tmp/boundary-tilting-bench-svm
BENCH_CORES ?= 2
BENCH_SVM_ARGS ?=
BENCH_SVM = $(BIN)/python benchmarks/bench_svm.py --mnist $(or $(MNIST_DIR),../shared/data) \
	--workdir $(BENCH_SVM_DIR) --cores $(BENCH_CORES) --fresh --reproduce 7v9
bench-svm: venv
	$(BENCH_SVM) $(BENCH_SVM_ARGS)

bench-svm-authors: venv
	$(BENCH_SVM) --configfile config/authors.yaml $(BENCH_SVM_ARGS)

# The same pair's fits through the single-node SLURM cluster and locally (fits per second).
bench-svm-slurm: venv
	$(BIN)/python benchmarks/bench_svm_slurm.py --mnist $(or $(MNIST_DIR),../shared/data)

# Benchmark of the LeNet stage (issue 5): LeNet_low and LeNet_high on real MNIST with the
# spec's settings (50 epochs each); prints s/epoch and final errors beside the article's.
# Quick look: make bench-lenet BENCH_LENET_ARGS="--epochs 3"
BENCH_LENET_ARGS ?=
bench-lenet: venv
	$(BIN)/python benchmarks/bench_lenet.py --mnist-dir $(or $(MNIST_DIR),../shared/data) $(BENCH_LENET_ARGS)

# Both benchmarks, one after the other.
bench: bench-svm bench-lenet
