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

.PHONY: run test dry-run report bench bench-svm bench-lenet lint clean venv

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
	rm -rf results logs benchmarks/*/ .snakemake
