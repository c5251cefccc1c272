# podid: two commands on a fresh machine — `make demo` and `make test`.
# Both create .venv/ and install what they need, idempotently.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JS_STAMP := js/node_modules/.installed

.PHONY: venv demo test lint typecheck unit bench clean browser manifests

venv: $(STAMP)

# The AWS SDK for JavaScript v3 (exact versions in js/package-lock.json), used by tests inside pods.
# If npm cannot install it, the other tests still run and tests/cluster/test_js_sdk.py fails saying so.
$(JS_STAMP): js/package.json js/package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm) || true
	@if npm ci --prefix js --no-audit --no-fund --loglevel=error; then touch $(JS_STAMP); \
	else echo "npm ci --prefix js failed: the JS SDK tests will fail" >&2; fi

# Debian's chromium, headless, for the access-matrix HTML report tests (tests/matrix/test_html.py).
# If apt-get cannot install it, the other tests still run and those tests fail saying so.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) \
	|| echo "chromium could not be installed: the HTML report tests will fail" >&2

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

demo: venv
	$(BIN)/python scripts/demo.py

lint: venv
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy

test: lint $(JS_STAMP) browser
	$(BIN)/python -m pytest

bench: venv
	$(BIN)/python bench/run_all.py

# deploy/manifests/podid.yaml from the Helm chart (tests/deploy checks it is current).
manifests: venv
	$(BIN)/python scripts/render_manifests.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
