# clusterms: two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.clusterms-installed

.PHONY: install demo test lint typecheck bench fuzz mutants clean

install: $(STAMP)

# Re-run pip only when the dependency list changes; the package itself is editable.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)
	@# PYTHONDONTWRITEBYTECODE may be set: precompile so the CLI does not recompile at every start.
	@$(PY) -m compileall -q src/clusterms >/dev/null || true

demo: install
	$(PY) -m compileall -q src/clusterms >/dev/null || true
	$(VENV)/bin/clusterms demo --out demo-output --force

lint: install
	$(VENV)/bin/ruff check src tests bench

typecheck: install
	$(VENV)/bin/mypy src/clusterms

test: lint typecheck
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/isotopes.py
	$(PY) bench/assign.py
	$(PY) bench/fragments.py
	$(PY) bench/tandem.py

fuzz: install
	$(PY) -m pip install --quiet -e '.[fuzz]'
	$(PY) tests/fuzz/fuzz_readers.py -atheris_runs=20000 tests/fuzz/corpus

# Mutation testing (mutmut) of chem, isotopes, assign, the spectra readers and the output
# writers, each group against its own tests in a scratch copy under build/mutants, within
# MUTANTS_MINUTES in total (default 45; shared equally). Survivors: build/mutants/*/survivors.txt.
# One group: `make mutants MUTANTS=chem`. See docs/mutants.md.
MUTANTS ?=
MUTANTS_MINUTES ?= 45
mutants: install
	$(PY) -m pip install --quiet -e '.[mutants]'
	$(PY) scripts/mutants.py $(MUTANTS) --budget $(MUTANTS_MINUTES)

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
