# The two quickstart commands (see README.md):
#   make demo   set up, train the book's 12-3-2 network, report, render its graphs into $(OUT)
#   make test   set up and run the test suite
PYTHON ?= python3
VENV   ?= .venv
OUT    ?= demon-out
BIN     = $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

demo: $(BIN)/python
	bash scripts/system-deps.sh
	$(BIN)/python -m pip install -q -e ".[plot]"
	$(BIN)/python -m tinygrad_edu demon --out $(OUT) --render $(OUT)

test: $(BIN)/python
	bash scripts/system-deps.sh
	$(BIN)/python -m pip install -q -e ".[test,plot,digits]"
	bash scripts/install-torch-oracle.sh $(BIN)/python
	$(BIN)/python -m pytest

# the type checker and the linter, at the versions the code was checked with (pyproject.toml
# configures both); CI runs this beside the tests, so neither can regress
lint: $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m mypy
	$(BIN)/python -m ruff check .

bench: $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[bench]"
	bash scripts/install-torch-oracle.sh $(BIN)/python
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info .pytest_cache
