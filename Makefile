# The two entry points of the README. Each installs what it needs first (uv, then the locked
# environment), so both work on a fresh machine with only Python 3.11 and pip.
PY ?= python3
VENV := .venv/bin

.PHONY: setup browser demo test lint image

# A Python that refuses a global install (PEP 668 "externally managed") gets uv in the user site.
setup:
	$(PY) -m pip install --quiet --disable-pip-version-check uv 2>/dev/null || \
	  $(PY) -m pip install --quiet --disable-pip-version-check --user --break-system-packages uv
	$(PY) -m uv sync --frozen --quiet

# The GraphiQL end-to-end test drives a real headless Chromium (Debian's package).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing and this is not root: the GraphiQL browser test will be skipped"; fi; }

# The container image, where a Docker daemon answers (CI runs this from `make test`); elsewhere a
# printed reason. tests/service/test_container_entrypoint.py runs its entry point either way.
image:
	@if ! { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }; then \
	  echo "docker build skipped: no Docker daemon answers here (the entry point is tested without it)"; \
	elif ! docker pull -q python:3.11-slim >/dev/null 2>&1; then \
	  echo "docker build skipped: the base image python:3.11-slim cannot be pulled here"; \
	else docker build -t hemalake . ; fi

demo: setup
	$(VENV)/hemalake demo

lint: setup
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/python -m schema.export_sdl --check

test: lint browser image
	$(VENV)/pytest -q -p no:cacheprovider
