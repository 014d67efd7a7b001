# ShopCRM: `make demo` to try it, `make test` to run every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(wildcard plugins/*/pyproject.toml))
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install demo test bench translations clean

install: $(STAMP)

$(STAMP): pyproject.toml $(PLUGINS) Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' $(foreach p,$(PLUGINS),-e $(dir $(p)))
	$(MAKE) translations
	touch $(STAMP)

# The core's catalogue and every bundled plugin's (plugins/<name>/shopcrm_<name>/translations).
translations:
	$(BIN)/pybabel compile --use-fuzzy -d web/translations
	for folder in $(wildcard plugins/*/shopcrm_*/translations); do \
		$(BIN)/pybabel compile --use-fuzzy -d $$folder || exit 1; \
	done

demo: install
	$(BIN)/shopcrm db upgrade
	$(BIN)/shopcrm demo
	$(BIN)/shopcrm serve --dev --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache
