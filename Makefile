# Two commands on a fresh clone: `make` (set up + build every output) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test

.PHONY: all build test check clean

all: build

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "studykit needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { echo "Python's venv/ensurepip is missing (Debian: apt-get install python3-venv)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@$(BIN)/python -c 'import weasyprint' 2>/dev/null || { echo "WeasyPrint cannot load Pango/HarfBuzz: install the system libraries listed under Prerequisites in README.md (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core fonts-noto-cjk fonts-noto-color-emoji)"; exit 1; }
	@$(BIN)/python -m schema.fonts
	@touch $(STAMP)

build: $(STAMP)
	$(BIN)/studykit build

check: $(STAMP)
	$(BIN)/studykit check

# The test tools (pytest, the Anki backend, Playwright...) come from their own lock, on top of the runtime one.
$(TESTSTAMP): $(STAMP) requirements-test.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-test.lock
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || [ -n "$$STUDYKIT_CHROMIUM" ] || { echo "The browser tests need Chromium: install it (Debian: apt-get install chromium) or set STUDYKIT_CHROMIUM to its path"; exit 1; }
	@touch $(TESTSTAMP)

test: $(TESTSTAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) output .pytest_cache .hypothesis
