# QuantVista — the two commands a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/quantvista demo $(ARGS)

# The whole suite on the embedded PostgreSQL, then the integration and e2e tiers again on the
# real server at QUANTVISTA_TEST_EXTERNAL_PG when it answers (skipped with a line when it does
# not; empty turns it off). Either pass failing fails the target.
QUANTVISTA_TEST_EXTERNAL_PG ?= postgresql://postgres@127.0.0.1:5432/postgres

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/python tests/external_postgres.py --embedded-passed \
		--server '$(QUANTVISTA_TEST_EXTERNAL_PG)' $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .quantvista .pytest_cache .ruff_cache
