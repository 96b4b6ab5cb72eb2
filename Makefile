# Set-up and the project's two commands: `make demo` and `make test` (see README).
# Every target that runs something depends on `setup`, which is idempotent and quick once done.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := postgresql fonts-wqy-microhei libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libportaudio2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup demo test lint format bench clean

setup: $(VENV)/.installed .apt-installed

# Debian packages: PostgreSQL (the store tests start a real server), a CJK font for the Chinese UI,
# and the shared libraries Qt and PortAudio load at run time.
.apt-installed:
	@if dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then echo "apt packages present"; else \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES); fi
	@touch $@

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps mediapipe==0.10.21
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	@touch $@

demo: setup
	$(BIN)/shixun demo

test: setup
	$(BIN)/ruff check .
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every benchmark script writes its results to benchmarks/results/ (run one alone with python FILE).
bench: setup
	set -e; for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) .apt-installed build *.egg-info
