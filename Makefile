# The project's commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_ENV := DEBUG=true
PG_URL ?= postgres://qa:qa@127.0.0.1:5432/qa_platform
REDIS_URL ?= redis://127.0.0.1:6379/0
# Debian packages WeasyPrint needs (Pango, HarfBuzz subsetting, a font), pdftotext for the PDF tests.
DEBIAN_PACKAGES := python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils

.PHONY: help install demo demo-data serve test lint test-services test-production bench clean

help:  ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

system-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "Please install these Debian packages first: sudo apt-get install $$missing"; exit 1; fi; \
	fi

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-packages
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

static/vendor/bootstrap/css/bootstrap.min.css:
	$(PY) scripts/fetch_assets.py

install: $(STAMP) static/vendor/bootstrap/css/bootstrap.min.css  ## Install the project into .venv (and the Debian packages it needs)

DEMO_AUTHORITIES := 991:quinn 992:quentin 993:queenie 994:quade 995:quincy
DEMO_CHILDREN ?= 1000

demo: demo-data  ## Build the demo on the embedded database and serve it on http://127.0.0.1:8000
	@echo; $(DEMO_ENV) $(PY) manage.py seed_demo --logins
	@echo; echo "Serving on http://127.0.0.1:8000 (Ctrl-C stops it)"; echo
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

demo-data: install  ## Build the demo's data without serving it (DATABASE_URL picks another database)
	$(DEMO_ENV) $(PY) manage.py migrate --no-input -v 0
	$(DEMO_ENV) $(PY) manage.py seed_demo --quiet
	@# Made-up returns for the five demo authorities, up to today, imported by each one's QA lead as a user would.
	$(DEMO_ENV) $(PY) manage.py generate_returns --authorities 5 --codes 991,992,993,994,995 \
	  --names Ashdown,Brackenford,Calderbridge,Dunmore,Eastwick --children-per-authority $(DEMO_CHILDREN) \
	  --seed 2026 --out demo-returns \
	  --teams "Front Door,Assessment Team,Child Protection North,Child Protection South,Children in Care"
	@set -o pipefail; for pair in $(DEMO_AUTHORITIES); do code=$${pair%%:*}; lead=$${pair#*:}; \
	  $(DEMO_ENV) $(PY) manage.py import_returns --authority $$code --user $$lead \
	    demo-returns/$$code/cin_census_*.xml demo-returns/$$code/ssda903_*.csv demo-returns/$$code/annex_a.xlsx | grep -v "^  rejected" || exit 1; \
	done
	@# Made-up Signs of Safety practice records following each authority's cases, imported by its QA lead.
	@set -o pipefail; for pair in $(DEMO_AUTHORITIES); do code=$${pair%%:*}; lead=$${pair#*:}; \
	  $(DEMO_ENV) $(PY) manage.py generate_practice --authority $$code --seed 2026 --out demo-returns/$$code/practice.csv \
	    && $(DEMO_ENV) $(PY) manage.py import_practice --authority $$code --user $$lead demo-returns/$$code/practice.csv \
	    | grep -v "^  rejected" || exit 1; \
	done
	@# Past audits for the trends, and the live walkthrough made through the services as people would.
	$(DEMO_ENV) $(PY) manage.py seed_demo_audits
	@# Targets and report branding, as each QA lead would set them in the admin.
	$(DEMO_ENV) $(PY) manage.py seed_demo_outcomes
	$(DEMO_ENV) $(PY) manage.py compute_measures
	@# Last quarter's outcome report for every authority, as the quarterly job makes them.
	$(DEMO_ENV) $(PY) manage.py run_scheduled_job reports.tasks.generate_quarterly_reports
	@# The programme around the platform: staff survey waves (baseline, follow-up, one open now); last quarter's
	@# workshop, reflections and published journal, and this quarter's open poll; the knowledge library and
	@# access records; feedback triaged by the programme team.
	$(DEMO_ENV) $(PY) manage.py seed_demo_surveys
	$(DEMO_ENV) $(PY) manage.py seed_demo_workshops
	$(DEMO_ENV) $(PY) manage.py seed_demo_knowledge
	$(DEMO_ENV) $(PY) manage.py seed_demo_feedback

test: install  ## Run the whole test suite on the embedded database (SQLite, tasks in-process)
	$(PY) -m pytest -n 2 -q

lint: install  ## ruff, ruff format --check and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

test-services: install  ## Run the suite on PostgreSQL and Redis, then the real-worker tests against a Celery worker
	bash scripts/test_services.sh

test-production: install  ## Serve the production configuration (DEBUG off, collectstatic, gunicorn) and request every role's pages
	bash scripts/test_production.sh

bench: install  ## Benchmark on PostgreSQL (SCALE=full: 153 authorities x 2,000 children); writes bench/results/ and docs/benchmarks.md
	$(PY) -m bench --scale $(or $(SCALE),quick)

clean:  ## Remove the virtualenv, the demo database and collected files
	rm -rf $(VENV) db.sqlite3* staticfiles media static/vendor
