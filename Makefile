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

# Debian packages for the test bed, then kube-apiserver built once from Debian's `kubernetes` source package
# and cached in ~/.cache/meshctl (tests/bed/build_apiserver.sh). Both steps are no-ops when already done.
# prometheus is installed for its binaries only (--no-install-recommends); its packaged service is never used.
APT_PACKAGES := etcd-server prometheus openssl golang-1.19-go rsync jq dpkg-dev golang-github-modern-go-reflect2-dev tmux graphviz
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
apt-packages:
	@missing=$$(for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@bash tests/bed/build_apiserver.sh >/dev/null

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check meshctl tests
	$(VENV)/bin/ruff format --check meshctl tests

# Start-up figures are those of an installed package: pip byte-compiles a wheel at install time, whereas an
# editable install run with PYTHONDONTWRITEBYTECODE set would compile every changed module at every start.
bench: setup
	$(PY) -m compileall -q meshctl
	$(PY) -m tests.bench.run

demo: setup
	$(PY) -m tests.bed.demo

demo-down:
	$(PY) -m tests.bed.demo --down

clean:
	rm -rf $(VENV) build *.egg-info
