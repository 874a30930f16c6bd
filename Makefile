# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PRESET ?= small
OUTPUT ?= warehouse

.PHONY: run test test-processes test-deployment lint docs install dist submit benchmark validate report clean java

java:
	@command -v java >/dev/null 2>&1 || [ -x "$$JAVA_HOME/bin/java" ] || \
	  { echo "java not found: install a Java 17 runtime (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME" >&2; exit 1; }

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[spark,test,lint,docs]"
	touch $@

install: $(VENV)/.installed

run: java install
	$(VENV)/bin/retail-synth generate --preset $(PRESET) --output $(OUTPUT)

test: java install
	$(PY) -m pytest -q --durations=15 -m "not own_spark and not long" tests --ignore=tests/deployment

# The docs site: the reference pages regenerated from the code (in CI only checked, so a stale page fails),
# then built into site/; a broken link or anchor fails the build. mkdocs is pinned to 1.6, so Material's
# banner about MkDocs 2.0 is turned off.
docs: install
	$(PY) docs/gen_reference.py $(if $(CI),--check)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# ruff (rules and line length in pyproject.toml) over all the Python of the repository; mypy over the package.
lint: install
	$(VENV)/bin/ruff check src tests benchmarks notebooks docs
	$(VENV)/bin/mypy

# The tests that start Spark processes of their own: a rerun in a new session, SIGINT and SIGKILL of a
# run or an extend, Spark Connect, spark-submit, the wheel in a fresh venv, a standalone cluster; and the long
# runs of the shared session (a second scenario split by extend, a stream of days, a forced rerun, the notebook,
# walk variants, scenario runs: the `long` marker in pyproject.toml). Apart from `make test` to keep it under
# 10 minutes; in one session, so that its Spark session and tiny run are built once.
test-processes: java install
	$(PY) -m pytest -q --durations=15 -m "own_spark or long" tests

# tests/deployment alone (test-processes runs it too): the built wheel in a fresh venv, and a real standalone
# cluster (a master, two workers): minutes each.
test-deployment: java install
	$(PY) -m pytest -q --durations=5 tests/deployment

VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
WHEEL   = dist/retail_synth-$(VERSION)-py3-none-any.whl

dist: $(WHEEL)

$(WHEEL): pyproject.toml $(shell git ls-files src 2>/dev/null) | install
	$(PY) -m pip wheel --quiet --no-deps --wheel-dir dist .

# make submit MASTER=spark://host:7077 ARGS="generate --preset tiny --output DIR" SUBMIT_OPTS="--conf ..."
MASTER      ?= local[2]
ARGS        ?= generate --preset tiny
SUBMIT_OPTS ?=
submit: java dist
	$(PY) -m retail_synth.cli.submit --master "$(MASTER)" --code "$(WHEEL)" --spark-options "$(SUBMIT_OPTS)" -- $(ARGS)

validate: java install
	$(VENV)/bin/retail-synth validate --output $(OUTPUT)

report: java install
	$(VENV)/bin/retail-synth report --output $(OUTPUT)

benchmark: java install
	$(PY) benchmarks/run_benchmark.py --preset $(PRESET)

# The tables in $(OUTPUT) go through the guarded `retail-synth clean` (it starts Spark when $(OUTPUT) exists):
# only the tables retail-synth wrote and its run journal are removed, so `make clean OUTPUT=DIR` never deletes
# anyone else's tables or files; the folder itself goes only if nothing is left in it. Then the local Spark
# leftovers (.retail-synth/, spark-warehouse/, metastore_db/, derby.log), .pytest_cache and site/.
clean:
	@if [ -d "$(OUTPUT)" ]; then \
	  $(MAKE) --no-print-directory java install && \
	  $(VENV)/bin/retail-synth clean --output "$(OUTPUT)" --confirm DELETE_RETAIL_SYNTH_TABLES && \
	  { rmdir "$(OUTPUT)" 2>/dev/null || echo "kept $(OUTPUT): other files are left in it"; }; \
	fi
	rm -rf .retail-synth spark-warehouse metastore_db derby.log .pytest_cache site
