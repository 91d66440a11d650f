# panoptisim: two commands do all set-up.
#   make demo   creates .venv, installs the package, runs the default scenario end to end
#   make test   creates .venv, installs the package with test extras, runs the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-slow lint validate validation-doc docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/panoptisim run baseline

# The linter first (ruff: errors, import order, docstrings on public code; pyproject.toml).
# pytest exits 5 when it collected no test: that is a failure here, not a pass.
# Every validation case runs in pytest (tests/test_validation.py, tests/test_theory_cases.py)
# at its quick or full size; groups keep runs that tests share on one worker (loadgroup).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q; status=$$?; \
	if [ $$status -eq 5 ]; then echo "no tests were collected: failing"; exit 1; fi; \
	exit $$status

# The slow cases, then the whole quick validation suite through its command.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q -m slow; status=$$?; \
	if [ $$status -eq 5 ]; then echo "no tests were collected: failing"; exit 1; fi; \
	if [ $$status -ne 0 ]; then exit $$status; fi; \
	$(BIN)/panoptisim validate --quick

lint: $(STAMP)
	$(BIN)/ruff check .

validate: $(STAMP)
	$(BIN)/panoptisim validate

validation-doc: $(STAMP)
	$(BIN)/python -m panoptisim.validation --write-doc docs/validation.md

docs: $(STAMP)
	$(BIN)/python -m panoptisim.paramdoc docs/model.md

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/demo_speed.py --runs 3
	$(BIN)/python benchmarks/scale.py --sizes 1e5 1e6 1e7 --runs 3
	$(BIN)/python benchmarks/vs_mesa.py --sizes 1e4 --runs 3
	$(BIN)/python benchmarks/vs_mesa.py --sizes 1e5 --versions plain incremental --runs 3
	$(BIN)/python benchmarks/vs_mesa.py --sizes 1e5 --versions networkgrid --runs-at 1e5=1
	$(BIN)/python benchmarks/roofline.py --size 1e6 --repeat 9
	$(BIN)/python benchmarks/sweep_throughput.py --modes sequential,local,dask

clean:
	rm -rf $(VENV) runs build *.egg-info src/*.egg-info .pytest_cache .hypothesis
