# Each target builds .venv on a fresh machine first; `make test` also installs the
# system packages the real-part tests use (Prometheus, Chromium, poppler) when missing.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3
export TMPDIR := $(CURDIR)/tmp

.PHONY: demo test bench bench-large system-deps clean

$(STAMP): pyproject.toml
	@mkdir -p $(TMPDIR)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

system-deps:
	@bash tools/system-deps.sh

demo: $(STAMP)
	$(VENV)/bin/sloboard demo

test: $(STAMP) system-deps
	@mkdir -p $(TMPDIR) tests/artifacts
	$(PY) -m pytest -n 2 -q

bench: $(STAMP) system-deps
	@mkdir -p $(TMPDIR)
	$(PY) -m bench

bench-large: $(STAMP) system-deps
	@mkdir -p $(TMPDIR)
	$(PY) -m bench --large

clean:
	rm -rf $(VENV) tmp var .bench tests/artifacts
