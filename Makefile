# meshctl developer entry points. `make test` and `make demo` work on a fresh Debian machine (as root):
# they install what they need first (`make setup` is idempotent).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup test lint bench demo demo-down clean

setup: $(STAMP) apt-packages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian packages for the test bed (added by the test bed work); a no-op when they are present.
apt-packages:
	@true

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check meshctl tests
	$(VENV)/bin/ruff format --check meshctl tests

bench: setup
	$(PY) -m tests.bench.run

demo: setup
	$(PY) -m tests.bed.demo

demo-down:
	$(PY) -m tests.bed.demo --down

clean:
	rm -rf $(VENV) build *.egg-info
