# Two commands: `make run` (a working demo on SQLite) and `make test` (the whole suite on
# PostgreSQL and Redis, browser tests included). Everything they need is set up here.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The services `make test` uses (DEVELOPERS.md: PostgreSQL and Redis on localhost).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/14
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test test-faults fault-tools install chromium flite axe pdf pdf-test-tools messages gettext screens \
	wrk bench bench-caches

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install: $(BIN)/.installed

run: install flite pdf
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --port $(PORT)
	PORTAL_PORT=$(PORT) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Russian plural forms (locale/ru/LC_MESSAGES/django.po): the compiled .mo is committed, so
# neither `make run` nor the image needs gettext; run `make messages` after editing the .po
# (meters/tests/test_states.py checks the .mo is current, so `make test` needs msgfmt).
gettext:
	@command -v msgfmt >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q gettext; }

messages: gettext
	msgfmt --check-format -o locale/ru/LC_MESSAGES/django.mo locale/ru/LC_MESSAGES/django.po

# Browser tests drive Debian's Chromium (Playwright's own browser download is not used).
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

# The captcha's spoken alternative: django-simple-captcha reads the code aloud with flite.
flite:
	@command -v flite >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q flite; }

# PDF receipts (billing/receipts.py): WeasyPrint subsets fonts with HarfBuzz-Subset, about 2.5
# times faster than its fontTools fallback, and byte-identical from one render to the next.
pdf:
	@/sbin/ldconfig -p | grep -q libharfbuzz-subset.so.0 || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q libharfbuzz-subset0; }

# billing/tests/test_receipts.py rasterises a receipt with pdftoppm to read its QR code back.
pdf-test-tools:
	@command -v pdftoppm >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q poppler-utils; }

# axe-core, which tests/e2e/test_accessibility.py injects into pages; from npm, pinned.
AXE_CORE_VERSION := 4.14.1
AXE_STAMP := node_modules/.axe-core-$(AXE_CORE_VERSION)
$(AXE_STAMP):
	@command -v npm >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q npm; }
	npm install --prefix $(CURDIR) --no-save --no-package-lock --no-audit --no-fund axe-core@$(AXE_CORE_VERSION)
	touch $@

axe: $(AXE_STAMP)

test: install chromium flite axe pdf pdf-test-tools gettext
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) TEST_CELERY_BROKER_URL=$(TEST_BROKER_URL) \
		$(BIN)/pytest $(PYTEST_ARGS)

# docs/screens/: each tenant's signed-in home at 360 px, as tests/e2e/test_routine.py leaves
# it (the routine's test saves the landing page when PORTAL_SCREENS names a directory).
screens: install chromium axe pdf
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) TEST_CELERY_BROKER_URL=$(TEST_BROKER_URL) \
		PORTAL_SCREENS=$(CURDIR)/docs/screens $(BIN)/pytest -q tests/e2e/test_routine.py -k "taps or without_accounts"

# Page benchmarks (not part of `make test`): wrk, Debian's native load generator, drives every
# page of the routine through gunicorn under production settings beside a bare Django view
# (bench/pages.py, bench/wrk_page.lua; docs/performance.md). They build their own database
# (BENCH_DATABASE, default portal_bench) and use Redis BENCH_REDIS_URL (default db 12), which
# they flush. BENCH_ARGS, e.g. BENCH_ARGS=--reuse-database, to keep an earlier run's 100,000
# accounts. `make bench-caches`: what each cache buys (bench/caches.py).
wrk:
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q wrk; }

bench: install wrk pdf
	$(BIN)/python bench/pages.py $(BENCH_ARGS)

bench-caches: install wrk pdf
	$(BIN)/python bench/caches.py $(BENCH_ARGS)

# The fault run (faults/, issue 25): the portal as deployed (gunicorn, a Celery worker and beat)
# on a PostgreSQL and a Redis of its own, under a light load, through a worker killed with
# SIGKILL, Redis restarted empty and PostgreSQL restarted; under 5 minutes. The killed worker's
# tasks come back after the visibility timeout: production's 240 s would take the run past 5
# minutes, so CI runs it with this one (`make test-faults FAULTS_VISIBILITY_TIMEOUT=` for the
# settings' own).
FAULTS_VISIBILITY_TIMEOUT ?= 30
PG_BIN ?= /usr/lib/postgresql/15/bin

fault-tools:
	@command -v redis-server >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q redis-server; }
	@test -x $(PG_BIN)/initdb || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q postgresql-15; }

test-faults: install fault-tools
	PG_BIN=$(PG_BIN) $(BIN)/python -m faults.run $(if $(FAULTS_VISIBILITY_TIMEOUT),--visibility-timeout $(FAULTS_VISIBILITY_TIMEOUT))
