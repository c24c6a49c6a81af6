# Two commands do all the set-up on a fresh machine: `make run` and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := campaign_site
# Links in development emails point at the local server.
PUBLIC_URL ?= http://127.0.0.1:$(PORT)
export PUBLIC_URL

.PHONY: run test test-fast checks bench serve-prod static tools migrate install install-dev clean translations-extract translations-update translations share-cards

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files make the install rerun only when a requirements file changes.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## translations: compile the gettext catalogs (.po -> .mo); make run and make test do it
CATALOGS := $(wildcard campaign_site/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)
translations: $(COMPILED)
%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

## translations-extract: collect every translatable string into messages.pot
translations-extract: install
	PYTHONPATH=. $(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location -w 100 \
		--project campaign_site --copyright-holder "Global Justice Campaign" \
		-o campaign_site/translations/messages.pot .

## translations-update: merge messages.pot into the de/ru/uk catalogs (then translate what is new)
translations-update: translations-extract
	$(BIN)/pybabel update -i campaign_site/translations/messages.pot -d campaign_site/translations -w 100 --no-fuzzy-matching

## migrate: bring the database (DATABASE_URL, or instance/campaign.db) up to date
migrate: install translations
	$(BIN)/flask db upgrade

## run: set everything up and serve on http://127.0.0.1:$(PORT), with the mail worker beside it
# Without MAIL_SMTP_HOST the worker writes emails to instance/outbox/ and prints their links.
run: migrate
	$(BIN)/flask mail-worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## tools: Debian packages the tests and benchmarks drive (wrk, sqlite3, chromium, nginx, dovecot, promtool,
## pgbouncer), axe-core
## and lighthouse from npm (tests/browser/; lighthouse drives Debian's chromium, never downloads one)
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
DEBIAN_TOOLS := wrk sqlite3 chromium chromedriver nginx tor dovecot prometheus pgbouncer
AXE := tests/browser/node_modules/axe-core/axe.min.js
LIGHTHOUSE := tests/browser/node_modules/.bin/lighthouse
tools: $(AXE) $(LIGHTHOUSE)
	@missing=$$(for tool in $(DEBIAN_TOOLS); do command -v $$tool >/dev/null || test -x /usr/sbin/$$tool || echo $$tool; done); \
	if [ -n "$$missing" ]; then \
		echo "installing from Debian: $$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq $$(echo $$missing | sed 's/chromedriver/chromium-driver/; s/dovecot/dovecot-imapd/') >/dev/null; \
	fi

# One npm ci installs both, again whenever the lock file changes; no install scripts run.
$(AXE) $(LIGHTHOUSE) &: tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent --ignore-scripts
	touch $(AXE) $(LIGHTHOUSE)

## checks: ruff (lint and format), mypy strict on petition/ crypto/ export.py, import contracts
checks: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Two processes on two cores; each makes its own databases, Redis keys and ports.
PYTEST_WORKERS ?= 2

## test: the checks, then every test (browser and benchmark lanes too), on SQLite and
## (when reachable, always in CI) PostgreSQL, with the property tests' CI profile (100 examples,
## 10 in the fast lane); the CI command
test: checks tools translations
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

## test-fast: the checks and every test but the browser, benchmark and slow lanes (about 2 minutes on 2 cores)
test-fast: checks translations
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not browser and not bench and not slow"

## bench: the viral-spike benchmarks (about 10 minutes); writes benchmarks/RESULTS.md
bench: install-dev tools
	$(BIN)/python -m benchmarks.bench

## static: the pictures in content/images/ at their sizes and formats (scripts/build_images.py),
## then pre-compressed copies (.gz) of static/ for nginx's gzip_static (deploy/nginx/)
static: install
	$(BIN)/python -m scripts.build_images
	$(BIN)/python -m scripts.compress_static static

## serve-prod: gunicorn with gunicorn.conf.py; needs the production settings (docs/deploying.md)
serve-prod: install translations static
	APP_ENV=production $(BIN)/gunicorn -c gunicorn.conf.py 'campaign_site:create_app()'

## share-cards: redraw static/img/share-card-<language>.png after a translation changes
share-cards: install-dev translations
	$(BIN)/python -m scripts.draw_share_cards

clean:
	rm -rf $(VENV) .pytest_cache
