# The README's commands. `make demo` and `make test` each set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH ?= torch==2.13.0

.PHONY: setup browser demo test lint bench clean

setup: $(VENV)/.installed

# torch first, pinned: a bare `torch` requirement would pull a 5 GB CUDA build here.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev,faces,speech,cluster]"
	touch $@

# The browser test (tests/test_browser.py) drives Debian's chromium: installed here where apt-get
# can (as root); anywhere else that one test is skipped and the rest of the suite runs.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && timeout 300 apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium is not installed: the browser test will be skipped."

demo: setup
	$(PY) -m deepstart.examples digits demo/digits demo/new
	$(VENV)/bin/deepstart train demo/digits --out demo/model
	$(VENV)/bin/deepstart predict demo/model demo/new

test: setup browser
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest: no tests ran"; rc=0; fi; exit $$rc

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

bench: setup
	$(PY) -m pip install -q -e ".[bench]"
	cd bench && ../$(PY) tables.py && ../$(PY) series.py && ../$(PY) mnist.py && ../$(PY) faces.py && ../$(PY) tune.py && ../$(PY) cats_dogs.py --eager --fine-tune && ../$(PY) sst2.py --fine-tune && ../$(PY) compare.py && ../$(PY) deploy.py && ../$(PY) studio.py && ../$(PY) audio.py && ../$(PY) cluster.py

clean:
	rm -rf $(VENV) demo
