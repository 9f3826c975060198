# The README's commands. Every target installs what it needs first (scripts/install.sh).
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint bench clean

install:
	@bash scripts/install.sh

# The fast profile tells the whole story in minutes; `.venv/bin/driftline demo` runs
# production intervals (alerts hold for 15 minutes).
demo: install
	$(BIN)/driftline demo --fast $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@find php -name '*.php' -print0 | xargs -0 -n1 -P2 php -l >/dev/null

test: lint
	bash scripts/test.sh

bench: install
	bash scripts/bench.sh

clean:
	rm -rf .driftline test-artifacts .pytest_cache .mypy_cache .ruff_cache
