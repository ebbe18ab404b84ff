# The two set-up commands: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
FLASK = $(VENV)/bin/flask --app app
DEMO_PASSWORD ?= concern-log-demo
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint db demo send-alerts clean bench bench-data load screenshots

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

db: $(VENV)/.installed
	$(FLASK) db upgrade

demo: db
	$(FLASK) demo --password '$(DEMO_PASSWORD)' --if-empty

## Serve the app on http://127.0.0.1:5000 with the demo trust (SQLite in instance/), and the
## alert worker beside it (cpoms/devserver.py; one Ctrl+C stops both). With no MAIL_SERVER in
## the environment, emails go to a local mailbox: http://127.0.0.1:5000/mailbox.
run: export CPOMS_DEV_URL = http://$(HOST):$(PORT)
run: export MAIL_BACKEND = $(if $(MAIL_SERVER),smtp,mailbox)
run: demo
	$(VENV)/bin/python -m cpoms.devserver --host $(HOST) --port $(PORT)

## Run the whole test suite. Its files (each test's SQLite database, attachments, the
## browser's profiles) go to memory where the machine has a tmpfs: each commit's flush to
## disk left the cores idle for a twentieth of the run. Passing tests' files are deleted.
## Compiled modules are kept (__pycache__, ignored by git) even where the environment says
## not to: each worker, and each app server a test starts, would compile them again.
TEST_TMPDIR ?= $(if $(wildcard /dev/shm/.),/dev/shm,$(or $(TMPDIR),/tmp))
test: $(VENV)/.installed-dev
	TMPDIR=$(TEST_TMPDIR) PYTHONDONTWRITEBYTECODE= $(VENV)/bin/python -m pytest $(PYTEST_ARGS)

## The pictures the docs show, at tablet size, into docs/screenshots/ (the tests marked
## docs_screenshots; a normal test run writes only to test-artifacts/screenshots/).
screenshots: $(VENV)/.installed-dev
	CPOMS_UPDATE_SCREENSHOTS=1 $(VENV)/bin/python -m pytest -q -m docs_screenshots

## Static checks: ruff (pyproject.toml's rules) clean and formatted, and bandit with no medium or high finding.
LINTED = cpoms bench migrations tests app.py config.py
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/bandit --quiet --recursive cpoms --severity-level medium

send-alerts: $(VENV)/.installed
	$(FLASK) send-alerts --watch

## Benchmarks (bench/): a generated database outside the repo, then the pages timed on it.
# make bench-data BENCH_DB=sqlite:////tmp/bench-1m.sqlite3 BENCH_ENTRIES=1000000
# make bench BENCH_DB=... [BENCH_JSON=results.json] (also writes its figures into README.md and
# docs/performance.md, from docs/bench/<database>.json); make load BENCH_DB=... [LOAD_ARGS=--kill-after 10]
# (LOAD_ARGS="--servers 2 --kill-after 8": two gunicorn servers behind nginx on one Redis, one killed)
BENCH_DB ?= sqlite:////tmp/cpoms-bench.sqlite3
BENCH_ENTRIES ?= 100000
BENCH_JSON ?= /tmp/cpoms-bench.json
LOAD_ARGS ?= --users 100 --duration 30 --kill-after 10

bench-data: $(VENV)/.installed
	DATABASE_URL='$(BENCH_DB)' $(FLASK) db upgrade
	DATABASE_URL='$(BENCH_DB)' $(FLASK) generate --schools 20 --pupils 8000 --entries $(BENCH_ENTRIES) --seed 1

bench: $(VENV)/.installed
	$(VENV)/bin/python -m bench.run --database '$(BENCH_DB)' --json '$(BENCH_JSON)' --figures

load: $(VENV)/.installed
	$(VENV)/bin/python -m bench.load --database '$(BENCH_DB)' $(LOAD_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
