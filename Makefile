# ai_video: `make demo` runs the main job on a sample, `make test` runs the test suite.
# Both create .venv and install what they need (ffmpeg via apt-get when missing).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export AI_VIDEO_TEST_MEDIA ?= $(abspath ../shared/media)
export RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER := 0
export RAY_USAGE_STATS_ENABLED := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint system-deps install clean bench

demo: install
	$(BIN)/ai-video demo --out out/demo

test: install
	$(BIN)/python -m pytest -q tests

lint: install
	$(BIN)/ruff check ai_video tests benchmarking
	$(BIN)/ruff format --check ai_video tests benchmarking
	$(BIN)/mypy

bench: install
	$(BIN)/python -m benchmarking clip

install: system-deps $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 (or run make PYTHON=python3.x)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,bench]'  # bench: issue 15
	touch $(STAMP)

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
