# The single entry point for people and CI. `make dev` runs the platform locally; `make test` runs
# every test tier. Both install what they need first (a venv with the pinned Python packages and
# the pinned CDK CLI), so they work on a fresh clone.
PY      := .venv/bin/python
STAMP   := .venv/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: openapi setup dev test test-unit test-integration test-infra test-e2e lint fmt typecheck synth bench bench-quick clean

setup: $(STAMP) node_modules/.installed

$(STAMP): pyproject.toml
	python3 -m venv .venv
	.venv/bin/pip install --quiet --upgrade pip
	.venv/bin/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

dev: setup admin  ## run the whole platform locally (local cloud + demo data), print its URLs
	$(PY) -m local $(ARGS)

test: setup lint typecheck admin-typecheck admin browser-deps  ## every test tier: unit, integration, infra, e2e, browser
	$(PY) -m pytest -n 2 --dist loadfile

test-unit: setup
	$(PY) -m pytest tests/unit -q
test-integration: setup
	$(PY) -m pytest tests/integration -q
test-infra: setup
	$(PY) -m pytest tests/infra -q
test-e2e: setup
	$(PY) -m pytest tests/e2e -q
test-browser: setup admin browser-deps  ## the admin SPA in chromium against a local cloud
	$(PY) -m pytest tests/browser -q

# ---- the admin SPA (admin/): built by `make dev` and `make test`, rebuilt only when admin/ changed --
ADMIN_SOURCES := $(shell find admin/src -type f 2>/dev/null) admin/index.html admin/vite.config.ts admin/tsconfig.json
.PHONY: admin admin-typecheck browser-deps test-browser

admin: admin/dist/index.html  ## build the admin SPA into admin/dist (served at /admin/ by the local cloud)

admin/node_modules/.installed: admin/package.json admin/package-lock.json
	cd admin && npm ci --no-audit --no-fund --loglevel=error
	touch $@

admin/dist/index.html: admin/node_modules/.installed $(ADMIN_SOURCES)
	cd admin && npx vite build --logLevel warn
	touch $@

admin-typecheck: admin/node_modules/.installed
	cd admin && npx tsc --noEmit

# Playwright drives Debian's chromium (`playwright install` cannot download its browser here).
browser-deps: .venv/.browser-installed
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then s=; else s="sudo -n"; fi; \
	  echo "installing Debian's chromium for the browser tests"; \
	  $$s apt-get update -qq && $$s env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

.venv/.browser-installed: tests/browser/requirements.txt $(STAMP)
	.venv/bin/pip install --quiet -r tests/browser/requirements.txt
	touch $@

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

bench: setup  ## every benchmark at its report size; writes BENCHMARKS.md (takes a while: run on a quiet machine)
	$(PY) bench/report.py

bench-quick: setup  ## every benchmark at small sizes (a smoke run); writes BENCHMARKS.md
	$(PY) bench/report.py --quick

clean:
	rm -rf build cdk.out .pytest_cache .mypy_cache .ruff_cache

openapi: setup  ## regenerate docs/openapi.json from the handlers (a test fails when it drifts)
	$(PY) -m infra.openapi
