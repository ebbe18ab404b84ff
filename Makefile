# The two set-up commands: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
FLASK = $(VENV)/bin/flask --app app
DEMO_PASSWORD ?= concern-log-demo
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint db demo send-alerts clean

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

## Serve the app on http://127.0.0.1:5000 with the demo trust (SQLite in instance/).
run: demo
	@echo "Serving on http://$(HOST):$(PORT)  (stop with Ctrl+C)"
	$(FLASK) run --host $(HOST) --port $(PORT)

## Run the whole test suite.
test: $(VENV)/.installed-dev
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

## Static security checks: bandit must report no medium or high finding.
lint: $(VENV)/.installed-dev
	$(VENV)/bin/bandit --quiet --recursive cpoms --severity-level medium

send-alerts: $(VENV)/.installed
	$(FLASK) send-alerts --watch

clean:
	rm -rf $(VENV) .pytest_cache
