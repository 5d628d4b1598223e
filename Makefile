# The single entry point for people and CI. `make dev` runs the platform locally; `make test` runs
# every test tier. Both install what they need first (a venv with the pinned Python packages and
# the pinned CDK CLI), so they work on a fresh clone.
PY      := .venv/bin/python
STAMP   := .venv/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: openapi setup dev test test-unit test-integration test-infra test-e2e lint fmt typecheck synth bench clean

setup: $(STAMP) node_modules/.installed

$(STAMP): pyproject.toml
	python3 -m venv .venv
	.venv/bin/pip install --quiet --upgrade pip
	.venv/bin/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

dev: setup  ## run the whole platform locally (local cloud + demo data), print its URLs
	$(PY) -m local $(ARGS)

test: setup lint typecheck  ## every test tier: unit, integration, infra, e2e
	$(PY) -m pytest -n 2 --dist loadfile

test-unit: setup
	$(PY) -m pytest tests/unit -q
test-integration: setup
	$(PY) -m pytest tests/integration -q
test-infra: setup
	$(PY) -m pytest tests/infra -q
test-e2e: setup
	$(PY) -m pytest tests/e2e -q

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

fmt: setup
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

typecheck: setup
	.venv/bin/mypy

synth: setup  ## CloudFormation for the stage in cdk.json (no AWS credentials needed)
	npx cdk synth --quiet

bench: setup  ## cold-import benchmark (figures go in README.md)
	$(PY) bench/cold_import.py

clean:
	rm -rf build cdk.out .pytest_cache .mypy_cache .ruff_cache

openapi: setup  ## regenerate docs/openapi.json from the handlers (a test fails when it drifts)
	$(PY) -m infra.openapi
