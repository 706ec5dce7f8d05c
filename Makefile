# Rapport: one command to try it (make demo), one to check it (make test). `make help` lists all.
#
# Variables (set on the command line or in the environment):
#   HOST, PORT           where `make demo` / `make run` listen (127.0.0.1, 8000)
#   WORKERS              gunicorn worker processes (2)
#   PYTHON               interpreter for a new .venv (python3.11, else python3 if 3.11/3.12)
#   TEST_DATABASE_URL    Postgres for the tests (postgres://rapport:rapport@127.0.0.1:5432/rapport)
#   RAPPORT_TEST_REDIS_URL  Redis for the tests (redis://127.0.0.1:6379/15)
#   PYTEST_ARGS          extra pytest arguments, e.g. PYTEST_ARGS="-x -k sync"
#   RAPPORT_CHROMIUM     a Chromium of your own; the `chromium` package is then not installed
#   SKIP_SYSTEM_PACKAGES set to anything to skip apt entirely
#   BACKUP_DIR           where `make backup` writes its archives (backups)
#   FILE, FORCE          `make restore FILE=backups/rapport-….tar.gz [FORCE=1]`

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# Targets run their prerequisites in the order written: services before tests, and so on.
.NOTPARALLEL:
MAKEFLAGS += --no-print-directory

VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
TEST_DATABASE_URL ?= postgres://rapport:rapport@127.0.0.1:5432/rapport
RAPPORT_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=
export VENV PYTHON TEST_DATABASE_URL RAPPORT_TEST_REDIS_URL

# Run time: WeasyPrint needs Pango and fonts (Symbola draws the emoji of post texts); chart
# images in PDFs need Chromium (Kaleido).
CHROMIUM_PACKAGE := $(if $(RAPPORT_CHROMIUM),,chromium)
RUNTIME_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-symbola $(CHROMIUM_PACKAGE)
# Backups need the PostgreSQL client programs of the server's major version (15 in compose).
POSTGRES_CLIENT_PACKAGE ?= postgresql-client-15
# Tests add poppler (PDF pages to PNG), gettext (translations), the PostgreSQL client (backup
# round trip) and redis-server (a private Redis the broker-outage test stops and starts).
TEST_PACKAGES := $(RUNTIME_PACKAGES) poppler-utils gettext $(POSTGRES_CLIENT_PACKAGE) redis-server
BACKUP_DIR ?= backups

# IPv6 addresses need brackets in a bind address and a URL; 0.0.0.0 is not somewhere to browse to.
BIND := $(if $(findstring :,$(HOST)),[$(HOST)],$(HOST)):$(PORT)
URL_HOST := $(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(if $(filter ::,$(HOST)),[::1],$(if $(findstring :,$(HOST)),[$(HOST)],$(HOST))))
LOCAL_URL := http://$(URL_HOST):$(PORT)
# Links in e-mails and reports point here; the address being served unless set otherwise.
SITE_URL ?= $(LOCAL_URL)

define serve
	@echo
	@echo "==> Rapport is serving at $(LOCAL_URL)/  (Ctrl-C stops it)"
	@echo
	@SITE_URL='$(SITE_URL)' exec $(BIN)/gunicorn -c config/gunicorn.py config.wsgi --bind '$(BIND)' --workers $(WORKERS) \
		--timeout 120 --access-logfile - --error-logfile - --no-control-socket
endef

define require_broker
	@if [ -z "$${CELERY_BROKER_URL:-}$${CELERY_BROKER_URL_FILE:-}" ]; then \
		echo "error: set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) and DATABASE_URL first." >&2; \
		echo "Without a broker, tasks run inside the web process and no worker or beat is needed" >&2; \
		echo "(README.md, Background tasks)." >&2; \
		exit 1; \
	fi
endef

.PHONY: help demo run install venv static worker beat migrate shell messages lint fmt typecheck bench \
	check-migrations services test pytest clean backup restore

help: ## List the targets
	@echo "Usage: make TARGET [HOST=… PORT=… PYTEST_ARGS=…]"
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-17s %s\n", $$1, $$2}'

demo: install ## Install, load the demo workspace and serve it on http://127.0.0.1:8000
	$(PY) manage.py migrate --noinput
	@scripts/collectstatic.sh
	$(PY) manage.py setup_periodic_tasks
	$(PY) manage.py seed_demo
	$(serve)

run: install ## Migrate and serve with gunicorn, without demo data
	$(PY) manage.py migrate --noinput
	@scripts/collectstatic.sh
	$(PY) manage.py setup_periodic_tasks
	$(serve)

install: ## Install the run-time system packages (apt) and the virtualenv
	@scripts/ensure-system-packages.sh --best-effort $(RUNTIME_PACKAGES)
	@scripts/ensure-venv.sh

venv: ## Create .venv and install requirements.lock (skipped when already done)
	@scripts/ensure-venv.sh

static: venv ## Collect static files for whitenoise (skipped when unchanged)
	@scripts/collectstatic.sh

worker: venv ## Run a Celery worker (needs CELERY_BROKER_URL)
	$(require_broker)
	$(BIN)/celery -A config worker --loglevel "$${LOG_LEVEL:-INFO}"

beat: venv ## Run Celery beat, the scheduler: exactly one per installation
	$(require_broker)
	$(BIN)/celery -A config beat --loglevel "$${LOG_LEVEL:-INFO}"

migrate: venv ## Apply database migrations and upsert the periodic schedules
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_periodic_tasks

backup: venv ## Write backups/rapport-DATE.tar.gz (BACKUP_DIR=…): database, files, manifest; no keys
	@scripts/ensure-system-packages.sh --best-effort $(if $(DATABASE_URL),$(POSTGRES_CLIENT_PACKAGE),)
	$(PY) manage.py backup --directory '$(BACKUP_DIR)'

restore: venv ## Restore FILE=… into an empty database and data folder (FORCE=1 replaces them)
	@if [ -z '$(FILE)' ]; then echo "error: say which archive: make restore FILE=backups/rapport-….tar.gz" >&2; exit 2; fi
	@scripts/ensure-system-packages.sh --best-effort $(if $(DATABASE_URL),$(POSTGRES_CLIENT_PACKAGE),)
	$(PY) manage.py restore '$(FILE)' $(if $(FORCE),--force,)

shell: venv ## Open a Django shell
	$(PY) manage.py shell

messages: venv ## Extract and compile the French translations (locale/fr)
	@scripts/ensure-system-packages.sh gettext
	$(PY) manage.py makemessages --locale fr --no-obsolete --ignore 'var/*' --ignore 'artifacts/*'
	$(PY) manage.py compilemessages --locale fr --ignore '$(notdir $(VENV))' --ignore var

lint: venv ## ruff check and ruff format --check
	@echo "==> ruff check"
	@$(BIN)/ruff check .
	@echo "==> ruff format --check"
	@$(BIN)/ruff format --check .

fmt: venv ## Format the code and apply ruff's safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: venv ## mypy (with django-stubs)
	@echo "==> mypy"
	@$(BIN)/mypy .

check-migrations: venv services ## Fail when a model change has no migration
	@echo "==> makemigrations --check"
	@DATABASE_URL="$$TEST_DATABASE_URL" $(PY) manage.py makemigrations --check --dry-run

services: venv ## Start PostgreSQL and Redis for the tests, and create the test role
	@scripts/ensure-services.sh

pytest: venv services ## Only the test suite (against Postgres and Redis); PYTEST_ARGS passes options
	@echo "==> pytest $(PYTEST_ARGS)"
	@status=0; DATABASE_URL="$$TEST_DATABASE_URL" $(BIN)/pytest $(PYTEST_ARGS) || status=$$?; \
	if [ "$$status" -eq 5 ]; then echo "error: pytest collected no tests." >&2; fi; \
	exit "$$status"

test: ## Everything CI runs: system packages, services, lint, mypy, migrations, static, pytest
	@scripts/ensure-system-packages.sh $(TEST_PACKAGES)
	@$(MAKE) venv services lint typecheck check-migrations static pytest

BENCH_SCALE ?= small
BENCH_DATABASE_URL ?= postgres://rapport:rapport@127.0.0.1:5432/rapport_bench
BENCH_DB_NAME = $(lastword $(subst /, ,$(BENCH_DATABASE_URL)))
bench: venv services ## Dashboard benchmark (BENCH_SCALE=small|large) on its own Postgres database
	@psql "$$(echo $(BENCH_DATABASE_URL) | sed 's#/[^/]*$$#/postgres#')" -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '$(BENCH_DB_NAME)'" | grep -q 1 || \
		psql "$$(echo $(BENCH_DATABASE_URL) | sed 's#/[^/]*$$#/postgres#')" -c "CREATE DATABASE $(BENCH_DB_NAME)"
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput
	@mkdir -p artifacts
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/run.py dashboards --scale $(BENCH_SCALE) \
		--json artifacts/bench-$(BENCH_SCALE).json

clean: ## Remove .venv, caches and collected static files (var/ data and secret key are kept)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache artifacts
	rm -rf "$${RAPPORT_DATA_DIR:-var}/staticfiles" "$${RAPPORT_DATA_DIR:-var}"/.static-collected-*
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
