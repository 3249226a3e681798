# Two commands set everything up on a fresh machine: `make run` and `make test`.
# Both create (once) and reuse .venv/ from the exact pins in requirements.lock.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench bundle bundle-test dist-linux screenshots lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## Open the app on the demo clinic (created on first run in the user data folder).
run: $(STAMP)
	$(BIN)/clinic-gui --demo

## The whole suite, headless: lint, types, layer contracts, then pytest.
test: $(STAMP) lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check clinic_gui tests benchmarks packaging
	$(BIN)/ruff format --check clinic_gui tests benchmarks packaging
	$(BIN)/mypy

## The installable bundle: dist/clinic-gui/ (one folder: clinic-gui, clinic-gui-cli, libraries).
bundle: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN build.spec

## Build the bundle and prove it runs: frozen self-test, import/assess, v1-database upgrade.
bundle-test: bundle
	$(BIN)/python packaging/bundle_smoke.py

## The Linux archive: dist/clinic-gui-<version>-linux-<arch>.tar.gz (+ .sha256), then its
## install / self-test / reinstall / uninstall test in a throwaway home (docs/installers.md).
dist-linux: bundle
	$(BIN)/python packaging/linux/make_archive.py
	bash packaging/linux/test_archive.sh dist/clinic-gui-*.tar.gz

## Benchmarks (never part of `make test`): builds (once, kept in benchmarks/.cache) the
## 50,000-patient demo clinic, runs every benchmark on it and writes docs/benchmarks.md plus
## one page per benchmark. The first run takes the better part of an hour; later runs less.
bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/suite.py

## Crash safety and concurrent writers, the full experiment (minutes; never part of
## `make test`): 200 kills mid-save, 2 x 500 concurrent saves; figures into docs/reliability.md.
.PHONY: reliability
reliability: $(STAMP)
	RELIABILITY_DOC=docs/reliability.md QT_QPA_PLATFORM=offscreen \
		$(BIN)/python -m pytest -q -m slow tests/test_reliability.py

## Screenshots of the main screens into docs/screenshots (offscreen rendering).
screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/clinic-gui screenshot docs/screenshots

## Re-resolve the lock file after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile -q --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		--no-emit-trusted-host --allow-unsafe -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) build dist *.egg-info
