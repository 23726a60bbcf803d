# The two entry points of the README. Each installs what it needs first (uv, then the locked
# environment), so both work on a fresh machine with only Python 3.11 and pip.
PY ?= python3
VENV := .venv/bin

.PHONY: setup demo test lint bench

setup:
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(PY) -m uv sync --frozen --quiet

demo: setup
	$(VENV)/hemalake demo

lint: setup
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/python -m schema.export_sdl --check

test: lint
	$(VENV)/pytest -q -p no:cacheprovider
