# The two commands a newcomer needs: `make run` and `make test`. Both are safe to run twice.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app refusal_site
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# pytest-xdist workers for `make test` (each has its own PostgreSQL database); 0 runs in this process.
TEST_WORKERS ?= 2

.PHONY: run test setup system-packages services translations extract-messages bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed translations

# The outside judges the suite runs (axe-core, the Nu HTML Checker, Lighthouse), from the npm registry.
# Lighthouse drives Debian's Chromium: no browser of puppeteer's own is fetched.
node_modules/.installed: package.json package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -f -d refusal_site/translations

system-packages:
	scripts/install-system-packages.sh

services:
	scripts/ensure-services.sh

# Set up, migrate the SQLite file in instance/, seed demo letters when empty, serve on 127.0.0.1:5000.
run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty --letters 60
	$(FLASK) run --host 127.0.0.1 --port 5000

# Set up and run the whole suite on SQLite and the local PostgreSQL (and Redis, and Chromium), on
# TEST_WORKERS processes: many tests wait on a browser, a server or a judge while the other runs. A
# worker that runs out of tests takes some of another's (worksteal): the suite's tests last from
# milliseconds to minutes, so no split made in advance stays even.
test: setup system-packages services node_modules/.installed
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

# Refresh the catalogs after changing user-visible strings.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --omit-header -o refusal_site/translations/messages.pot .
	$(BIN)/pybabel update -N --ignore-obsolete -i refusal_site/translations/messages.pot -d refusal_site/translations

bench: setup system-packages services
	$(BIN)/python -m bench.pages
