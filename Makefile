# KIT Flow: every target does its own set-up, so each works on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# make run installs what the product needs; the test, lint and type-check targets add the
# development tools (pytest, selenium, mypy, Jupyter for the notebooks: about 12 s more).
RUN_STAMP := $(VENV)/.run-installed
STAMP := $(VENV)/.installed
# PySpark (about 450 MB) only for the tests, the type check and the benchmark: make run does not
# need it.
SPARK_STAMP := $(VENV)/.spark-installed
PORT ?= 8050
# Parallel test workers: two cores on the build machine.
WORKERS ?= 2

.PHONY: run test lint typecheck layers format pytest bench bench-large demo-data demo-models demo-account clean

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[postgres]"
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,postgres]"
	touch $(STAMP)

$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,postgres,spark]"
	touch $(SPARK_STAMP)

# The dashboard is served as soon as the demo data are stored; the models train meanwhile in the
# background (their pages say so until they are stored, then use them without a restart).
MODELS_LOG := $(VENV)/demo-models.log
run: $(RUN_STAMP) demo-data demo-account
	@echo "Training the demo models in the background (log: $(MODELS_LOG))."
	@$(MAKE) --no-print-directory demo-models > $(MODELS_LOG) 2>&1 &
	$(BIN)/kitflow serve --host 127.0.0.1 --port $(PORT)

# The dashboard needs a sign-in: the first time, a local administrator 'demo' with a random
# password printed once (kitflow users add NAME --role ROLE adds more).
demo-account: $(RUN_STAMP)
	$(BIN)/kitflow users list --json | grep -q '"username"' || \
		$(BIN)/kitflow users add demo --role administrator --generate-password

# The simulated KIT landscape through the extractors (about 1 CPU minute at scale 1; skipped when
# stored), then the real public logs from ../shared/data when that folder is there.
DEMO_SCALE ?= 1
demo-data: $(RUN_STAMP)
	$(BIN)/kitflow demo --scale $(DEMO_SCALE)

# The models trained on the demo data, each skipped when one of its name is stored: the fill-in
# assistant (assignment group, category, priority) on the landscape's ServiceNow tables, and the
# open-case predictions of the ServiceNow incidents and orders (about 50 CPU seconds at scale 1).
DATA_DIR ?= $(or $(KITFLOW_DATA_DIR),data)
demo-models: $(RUN_STAMP) demo-data
	stored="$$($(BIN)/kitflow predict list --json)"; \
	echo "$$stored" | grep -c '"name": "assignment-group"' > /dev/null || \
		$(BIN)/kitflow predict train $(DATA_DIR) --source landscape || exit 1; \
	echo "$$stored" | grep -c '"name": "open-cases-servicenow-incidents"' > /dev/null || \
		$(BIN)/kitflow predict cases-train servicenow-incidents || exit 1; \
	echo "$$stored" | grep -c '"name": "open-cases-servicenow-orders"' > /dev/null || \
		$(BIN)/kitflow predict cases-train servicenow-orders --sla-hours 72 || exit 1

test: $(STAMP) lint typecheck layers pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(SPARK_STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

pytest: $(SPARK_STAMP)
	$(BIN)/pytest -n $(WORKERS) --nbmake tests $(wildcard notebooks/*.ipynb)

bench: $(SPARK_STAMP)
	$(BIN)/kitflow bench --json

# The large case: a 100M-event CSV imported in partitions and mined, each step in a fresh
# process (about 10 GB of disk under /tmp and 10 minutes on 2 cores; docs/performance.md).
bench-large: $(RUN_STAMP)
	$(BIN)/kitflow bench-large --json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
