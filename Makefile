# QuantVista — the two commands a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint venv clean browser

# torch is held at the CPU build on this machine's disk (constraints.txt): any other version, asked
# for by any package, pulls gigabytes of CUDA. norse's metadata asks for torchvision, whose
# registry builds need CUDA and break imports, so norse goes in without its dependencies (torch,
# nir and nirtorch come from pyproject.toml); `pip check` then reports torchvision, as expected.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps 'norse==1.1.0'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/quantvista demo $(ARGS)

# The whole suite on the embedded PostgreSQL, then the integration and e2e tiers again on the
# real server at QUANTVISTA_TEST_EXTERNAL_PG when it answers (skipped with a line when it does
# not; empty turns it off). Either pass failing fails the target.
QUANTVISTA_TEST_EXTERNAL_PG ?= postgresql://postgres@127.0.0.1:5432/postgres

# Debian's Chromium for the browser tests, installed when this machine can (root with apt);
# elsewhere those tests are skipped with the reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1 \
		&& echo "installed Debian's chromium for the browser tests"; } \
		|| echo "chromium is not installed: the browser tests will be skipped"

test: $(STAMP) browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/python tests/external_postgres.py --embedded-passed \
		--server '$(QUANTVISTA_TEST_EXTERNAL_PG)' $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .quantvista .pytest_cache .ruff_cache test-artefacts
