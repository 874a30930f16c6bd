"""One local Spark + Delta session and one tiny run shared by the whole suite."""

from __future__ import annotations

import os

import pytest

from retail_synth.checks.validate import Validation, validate
from retail_synth.spark.delta_tables import Target
from retail_synth.spark.generate import RunSummary, run_generation
from retail_synth.spark.session import get_spark
from retail_synth.spec.configuration import resolve
from tests.support.simulated_worlds import ANOMALY_HEAVY

# The database fixtures of tests/io and tests/checks (PostgreSQL server, tiny staged and loaded once).
pytest_plugins = ["tests.support.databases"]

# The JVMs the suite spawns once its session is up (a run in a new process, spark-submit, a Connect
# server, the standalone cluster's daemons and executors) compile with C1 only and collect with the
# serial GC: a cold run of tiny is too short for C2's compilations to pay back, and on two cores C2 and
# G1's threads take CPU from the tasks.
# Measured on a cold tiny generate: 63 s with the JVM's defaults, 48 s with these. The shared
# session keeps the default JIT (and the embedded parallel collector): it lives for the whole suite,
# where C2 pays back. Results do not depend on either. C1 alone shrinks the code cache to 48 MB,
# which `validate` filled ("CodeCache is full. Compiler has been disabled": the wheel test's JVM was
# then gone, and over Connect the warning on stdout broke validate's output): it gets the 240 MB of
# the default JIT back.
SPAWNED_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m -XX:+UseSerialGC"


def pytest_collection_modifyitems(items):
    """A test that uses the Spark session, directly or through a fixture, is a `spark` test (`-m "not spark"` skips it)."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    session = get_spark(driver_memory="2g", warehouse_dir=str(tmp_path_factory.mktemp("spark-warehouse")),
                        metastore_dir=str(tmp_path_factory.mktemp("metastore")))
    os.environ.setdefault("SPARK_SUBMIT_OPTS", SPAWNED_JVM_OPTIONS)
    yield session
    session.stop()


TINY_SEED = 7                                  # the seed of the suite's tiny run (`tiny_run`)
NORMAL_OPS_EMPTY = ("gold_anomaly_label",)     # tables a normal-ops run writes without rows: it injects no anomaly


def run_tiny(spark, output_dir, *assignments: str, seed: int = TINY_SEED) -> tuple[Target, RunSummary]:
    config = resolve(preset="tiny", assignments=list(assignments), seed=seed)
    target = Target(output_dir=str(output_dir))
    return target, run_generation(config, target, spark)


def generate_tiny(spark, output_dir, *assignments: str, seed: int = TINY_SEED) -> Target:
    return run_tiny(spark, output_dir, *assignments, seed=seed)[0]


@pytest.fixture(scope="session")
def tiny_written(spark, tmp_path_factory) -> tuple[Target, RunSummary]:
    """The tiny preset written once to Delta, and the summary its run returned."""
    return run_tiny(spark, tmp_path_factory.mktemp("tiny") / "warehouse")


@pytest.fixture(scope="session")
def tiny_run(tiny_written) -> Target:
    """The tiny preset written once to Delta; most integration tests read it."""
    return tiny_written[0]


@pytest.fixture(scope="session")
def tiny_validation(spark, tiny_run) -> Validation:
    """Every contract check, quickstart query and realism figure on the tiny run, run once."""
    return validate(spark, tiny_run)


@pytest.fixture(scope="session")
def anomaly_heavy_run(spark, tmp_path_factory) -> Target:
    """Tiny with the anomaly-heavy scenario at rates high enough for its 60 products: every anomaly type labelled."""
    config = resolve(preset="tiny", scenario="anomaly-heavy", assignments=list(ANOMALY_HEAVY))
    target = Target(output_dir=str(tmp_path_factory.mktemp("anomaly-heavy") / "warehouse"))
    run_generation(config, target, spark)
    return target
