# Template repository tasks. Works on a fresh machine with only python3 (>= 3.11), git and make:
# the first target that needs tools creates .tools/ (a venv holding a pinned uv) and .venv/ (the
# locked dev tools), so nothing is installed outside this directory.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := $(CURDIR)/.tools
UV := $(TOOLS)/bin/uv
DEMO_DIR := $(CURDIR)/build/demo
DEMO_PORT ?= 8080

# One uv cache for the template's venv and for every project the tests render.
export UV_CACHE_DIR ?= $(CURDIR)/.cache/uv
# Use the interpreters on this machine; never download one.
export UV_PYTHON_DOWNLOADS := never
# Some machines (CI containers) set PYTHONDONTWRITEBYTECODE=1: then every process the suite starts
# (each rendered project's pytest, its servers and workers) compiles SQLAlchemy, FastAPI & co.
# from source again, ~4 s each. Let them write .pyc files into the venvs, which are throw-away.
unexport PYTHONDONTWRITEBYTECODE

ONLY ?=

.PHONY: help install test test-fast matrix bench demo lint fmt clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "python >= 3.11 is required")'
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --quiet --python "$(PYTHON)"
	@touch $@

install: .venv/.synced ## Create .venv with the pinned dev tools

# The matrix counts are written to this file by the tests and printed after pytest exits, so
# `combinations_rendered_clean: N/M`, `combinations_fully_tested: K/K` and
# `python_versions_fully_tested: …` (and the offered versions not available here) end the output.
MATRIX_SUMMARY := $(CURDIR)/build/matrix-summary.txt
with_matrix_summary = rm -f $(MATRIX_SUMMARY); status=0; \
	MATRIX_SUMMARY=$(MATRIX_SUMMARY) $(1) || status=$$?; \
	if [ -f $(MATRIX_SUMMARY) ]; then cat $(MATRIX_SUMMARY); fi; exit $$status

# worksteal: an idle worker takes half of another's queue. With plain `load`, the last chunk of
# the queue (the minutes-long full checks) stayed on one worker while the other sat idle.
XDIST := -n auto --dist worksteal

test: install ## Run the template's test suite (renders, installs and checks generated projects)
	@$(call with_matrix_summary,$(UV) run --no-sync pytest $(XDIST))

matrix: install ## Every answer combination rendered and linted, a covering set fully tested
	@$(call with_matrix_summary,$(UV) run --no-sync pytest $(XDIST) -q -m "render_matrix or full_matrix")

test-fast: install ## Only the tests that do not install a rendered project
	$(UV) run --no-sync pytest $(XDIST) -m "not slow"

bench: install ## Render the default service and run the benchmarks in it (ONLY=name for one)
	$(UV) run --no-sync python benchmarks/run.py --uv $(UV) $(if $(ONLY),--only $(ONLY))

lint: install ## Lint the template's own Python code (hooks, tests, benchmarks)
	$(UV) run --no-sync ruff check hooks tests benchmarks
	$(UV) run --no-sync ruff format --check hooks tests benchmarks

fmt: install ## Format the template's own Python code
	$(UV) run --no-sync ruff check --fix hooks tests benchmarks
	$(UV) run --no-sync ruff format hooks tests benchmarks

demo: install ## Render the default answers into build/demo/ and serve it on 127.0.0.1:8080
	rm -rf $(DEMO_DIR)
	$(UV) run --no-sync cookiecutter --no-input --default-config --output-dir $(DEMO_DIR) $(CURDIR)
	$(MAKE) -C $(DEMO_DIR)/my-service UV=$(UV) run HOST=127.0.0.1 PORT=$(DEMO_PORT)

clean: ## Remove build output, venvs and caches
	rm -rf build .venv .tools .cache .pytest_cache .ruff_cache
