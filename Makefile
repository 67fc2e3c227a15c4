# The two commands of the README. Each creates .venv on first use and installs the package with
# the CPU build of torch (a plain torch requirement would pull a multi-GB CUDA build).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TORCH_CPU ?= torch==2.13.0

.PHONY: demo test install clean

$(BIN)/dist-ombo: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH_CPU)"
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/dist-ombo

## demo: the main job: a real default sweep on an embedded local Ray, printing the leaderboard.
demo: install
	$(BIN)/dist-ombo sweep --out runs/demo

## test: the whole test suite (the command CI runs).
test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache
