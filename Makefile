# Two commands matter: `make serve` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
export DOORPOST_DATA_DIR ?= $(CURDIR)/data

.PHONY: serve test install bench clean

$(STAMP): pyproject.toml tests/console/axe/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@# axe-core for the console's accessibility test (skipped, with the reason, without npm)
	-command -v npm >/dev/null && npm ci --prefix tests/console/axe --no-audit --no-fund --silent
	touch $(STAMP)

install: $(STAMP)

## Start Doorpost on SQLite at http://$(HOST):$(PORT) and print where to point an identity provider.
serve: $(STAMP)
	$(BIN)/doorpost db upgrade
	$(BIN)/doorpost demo --host $(HOST) --port $(PORT)
	$(BIN)/doorpost serve --host $(HOST) --port $(PORT)

## Run the whole test suite (SQLite, and PostgreSQL when DOORPOST_TEST_POSTGRES_URL reaches one).
test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) data .pytest_cache

## Benchmark the real server on SQLite and PostgreSQL (prints a table, writes bench/results/),
## then side by side with scim2-server 0.8.3, the peer (ratios against the targets), then
## Doorpost's own flat costs without HTTP (bench/inprocess.py), then
## revocation latency (PATCH active=false → denied decision, → signed access.revoked webhook).
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/compare.py $(COMPARE_ARGS)
	$(BIN)/python bench/inprocess.py
	$(BIN)/python bench/revocation.py $(REVOCATION_ARGS)
