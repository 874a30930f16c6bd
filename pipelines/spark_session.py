"""The Spark session: reuse an active one, else start an embedded local Spark with Delta.

On Databricks or under spark-submit a session (or its JVM) already exists and
is used as it is. On a laptop we start `local[*]` with the Delta extension;
the Delta JAR is resolved from Maven Central once into a user-level Ivy
cache (`~/.cache/retail-synth/ivy`, or $RETAIL_SYNTH_CACHE/ivy); every
later run and test loads the cached JARs directly.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

DELTA_CONFIGS = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}


class JavaMissingError(RuntimeError):
    """No Java runtime: Spark cannot start."""


def ivy_cache_dir() -> Path:
    root = os.environ.get("RETAIL_SYNTH_CACHE") or os.path.expanduser("~/.cache/retail-synth")
    return Path(root) / "ivy"


def delta_package() -> str:
    """The Maven coordinate of the Delta JAR matching the installed delta-spark wheel."""
    from importlib.metadata import version

    return f"io.delta:delta-spark_2.13:{version('delta-spark')}"


def cached_delta_jars() -> list[str]:
    """The Delta JARs already resolved into the cache, or [] when the first resolution is still to come."""
    from importlib.metadata import version

    jars = sorted(str(p) for p in (ivy_cache_dir() / "jars").glob("*.jar"))
    wanted = f"delta-spark_2.13-{version('delta-spark')}.jar"
    return jars if any(j.endswith(wanted) for j in jars) else []


def _require_java() -> None:
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and Path(java_home, "bin", "java").exists()):
        raise JavaMissingError(
            "java not found: install a Java 17 runtime (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )


def get_spark(
    driver_memory: str = "4g",
    app_name: str = "retail-synth",
    arrow_batch_rows: int = 50_000,
    warehouse_dir: str | None = None,
):
    """Return the active session, or start a local Spark + Delta one (managed tables under `warehouse_dir`)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is None and "PYSPARK_GATEWAY_PORT" in os.environ:
        # Launched by spark-submit: the JVM and its --packages/--conf are already set.
        active = SparkSession.builder.appName(app_name).getOrCreate()
    if active is not None:
        active.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(arrow_batch_rows))
        return active

    _require_java()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    cores = os.cpu_count() or 2
    builder = (
        SparkSession.builder.master("local[*]")
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(cores))
        .config("spark.default.parallelism", str(cores))
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(arrow_batch_rows))
        .config("spark.databricks.delta.snapshotPartitions", str(cores))
        .config("spark.driver.extraJavaOptions", "-Dlog4j2.level=error")
    )
    jars = cached_delta_jars()
    if jars:   # resolved before: load them straight from the cache, no resolution
        builder = builder.config("spark.jars", ",".join(jars))
    else:      # first start: Ivy resolves the Delta JAR and its dependencies from Maven Central
        builder = builder.config("spark.jars.packages", delta_package()).config("spark.jars.ivy", str(ivy_cache_dir()))
    for key, value in DELTA_CONFIGS.items():
        builder = builder.config(key, value)
    if warehouse_dir:
        builder = builder.config("spark.sql.warehouse.dir", warehouse_dir)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def spark_submit_arguments() -> list[str]:
    """The spark-submit flags that give a submitted job the same Delta setup."""
    jars = cached_delta_jars()
    args = ["--jars", ",".join(jars)] if jars else ["--packages", delta_package(), "--conf", f"spark.jars.ivy={ivy_cache_dir()}"]
    for key, value in DELTA_CONFIGS.items():
        args += ["--conf", f"{key}={value}"]
    args += ["--conf", "spark.sql.session.timeZone=UTC", "--conf", "spark.ui.enabled=false"]
    return args
