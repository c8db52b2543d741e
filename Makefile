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

.PHONY: run test dry-run report study bench bench-svm bench-lenet lint clean venv

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

run: venv
	$(BIN)/snakemake --cores $(CORES) --configfile config.yaml $(OFFLINE_ARG) $(SNAKEMAKE_ARGS)

dry-run: venv
	$(BIN)/snakemake --dry-run --cores $(CORES) --configfile config.yaml $(OFFLINE_ARG) $(SNAKEMAKE_ARGS)

test: venv
	$(BIN)/python -m pytest tests

lint: venv
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules

clean:
	find results -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf logs benchmarks/*/ .snakemake

# The weight-decay study (README, "Weight-decay study"): only its jobs. The reduced CPU grid:
# make study STUDY_CONFIGS="config/lenet_study.yaml config/lenet_study_cpu.yaml"
STUDY_CONFIGS ?= config/lenet_study.yaml
study: venv
	$(BIN)/snakemake lenet_study --cores $(CORES) --configfile config.yaml $(STUDY_CONFIGS) $(OFFLINE_ARG) $(SNAKEMAKE_ARGS)

# The Snakemake report of a finished run (figures, captions, claims table). A large run may
# need a zip instead: make report REPORT=results/report.zip
REPORT ?= results/report.html
report: venv
	$(BIN)/snakemake --cores 1 --configfile config.yaml $(OFFLINE_ARG) $(SNAKEMAKE_ARGS) --report $(REPORT)

# Benchmark of the linear-SVM sweep (issue 3): all pairs x lambda through Snakemake on real
# MNIST in a scratch work dir, then the naive scikit-learn loop on one pair beside it.
# Reduced run: make bench-svm BENCH_SVM_ARGS="--pairs 7v9 0v1 1v8"
BENCH_SVM_DIR ?= /tmp/boundary-tilting-bench-svm
BENCH_CORES ?= 2
BENCH_SVM_ARGS ?=
bench-svm: venv
	$(BIN)/python benchmarks/bench_svm.py --mnist $(or $(MNIST_DIR),../shared/data) \
		--workdir $(BENCH_SVM_DIR) --cores $(BENCH_CORES) --fresh --figures --reproduce 7v9 $(BENCH_SVM_ARGS)

# Benchmark of the LeNet stage (issue 5): LeNet_low and LeNet_high on real MNIST with the
# spec's settings (50 epochs each); prints s/epoch and final errors beside the article's.
# Quick look: make bench-lenet BENCH_LENET_ARGS="--epochs 3"
BENCH_LENET_ARGS ?=
bench-lenet: venv
	$(BIN)/python benchmarks/bench_lenet.py --mnist-dir $(or $(MNIST_DIR),../shared/data) $(BENCH_LENET_ARGS)

# Both benchmarks, one after the other.
bench: bench-svm bench-lenet
