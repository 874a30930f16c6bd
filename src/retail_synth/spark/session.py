"""The Spark session: reuse an active one, connect to Spark Connect, or start an embedded local Spark with Delta.

On Databricks or under spark-submit a session (or its JVM) already exists and
is used as it is. `remote` (or $SPARK_REMOTE) selects Spark Connect:
`sc://host:port` just connects; `local[N]` starts a local Connect server in
this process with the same Delta setup as the embedded session. Otherwise we
start `local[*]` with the Delta extension. The Delta JAR is resolved from
Maven Central once into a user-level Ivy cache (`~/.cache/retail-synth/ivy`,
or $RETAIL_SYNTH_CACHE/ivy); every later start loads the cached JARs.

The embedded session (classic or local Connect server) keeps its catalog in a
Derby metastore under `.retail-synth/` of the working directory (or
$RETAIL_SYNTH_HOME): Spark's default in-memory catalog forgets managed tables
when the session ends while their folders stay, so a second run into the same
schema would fail.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import uuid
from pathlib import Path

from retail_synth.spec.configuration import defaults

DELTA_CONFIGS = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}

# `local`, `local[4]`, `local[*]`, `local[4,2]` (max failures): what `SparkSession.builder.remote()` accepts as local.
LOCAL_MASTER = re.compile(r"local(?:\[(\*|[1-9][0-9]*)(?:,[1-9][0-9]*)?\])?")
CONNECT_PLUGIN = "org.apache.spark.sql.connect.SparkConnectPlugin"

# The embedded JVM hosts the driver and the executors in one 2 GB heap that the Parquet writers churn.
# In a full run G1 (the JVM's default) worked concurrently (marking, rebuilding remembered sets) for 63 s
# on one of the two cores and paused 12 s; with the parallel collector full ran in 301 and 329 s against
# 342 and 367 s with G1.
THROUGHPUT_COLLECTOR = "-XX:+UseParallelGC"
# Where a user or a test may already choose the JVM's collector: a second choice would stop the JVM.
JVM_OPTION_VARIABLES = ("SPARK_SUBMIT_OPTS", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")
COLLECTOR_CHOICE = re.compile(r"-XX:\+Use\w+GC\b")

# Log4j of a driver that prints errors only, to stderr (Spark's INFO log otherwise fills the terminal).
ERRORS_ONLY_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""
# ... of the embedded session with a metastore: also without Hive's "Failed to alter table" that
# every REPLACE TABLE of a catalog table logs before Spark stores the new schema in its own
# format (the replace succeeds).
METASTORE_LOG4J = ERRORS_ONLY_LOG4J + """\
logger.hms_handler.name = org.apache.hadoop.hive.metastore.RetryingHMSHandler
logger.hms_handler.level = fatal
logger.hive_alter.name = org.apache.hadoop.hive.metastore.HiveAlterHandler
logger.hive_alter.level = off
logger.hive_functions.name = org.apache.hadoop.hive.ql.exec.FunctionRegistry
logger.hive_functions.level = error
"""


class JavaMissingError(RuntimeError):
    """No Java runtime: Spark cannot start."""


class RemoteError(ValueError):
    """A Spark Connect URL that cannot be used; raised before any Spark starts."""


def ivy_cache_dir() -> Path:
    root = os.environ.get("RETAIL_SYNTH_CACHE") or os.path.expanduser("~/.cache/retail-synth")
    return Path(root) / "ivy"


def home_dir() -> Path:
    """The embedded session's own folder (metastore, warehouse, derby.log): $RETAIL_SYNTH_HOME or ./.retail-synth."""
    return Path(os.environ.get("RETAIL_SYNTH_HOME") or ".retail-synth").resolve()


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


# ---------------------------------------------------------------- Spark Connect

def is_connect(spark) -> bool:
    """True for a Spark Connect session; checked by module so that no Connect import (grpc) is needed."""
    return type(spark).__module__.startswith("pyspark.sql.connect.")


def check_remote(url: str) -> str:
    """The Connect URL stripped, or RemoteError: only `sc://...` and `local[...]` mean something to Spark Connect."""
    url = (url or "").strip()
    if not url:
        raise RemoteError("the Spark Connect URL is empty: give sc://host:port or local[N]")
    if LOCAL_MASTER.fullmatch(url) or (url.startswith("sc://") and len(url) > len("sc://")):
        return url
    raise RemoteError(f"'{url}' is not a Spark Connect URL: give sc://host:port or local[N] (e.g. local[2], local[*])")


def remote_from(remote: str | None, environ=os.environ) -> str | None:
    """The Connect URL to use: `remote` if given, else $SPARK_REMOTE, else None (classic Spark); validated."""
    if remote is not None:
        url = check_remote(remote)
    elif "SPARK_REMOTE" in environ:
        try:
            url = check_remote(environ["SPARK_REMOTE"])
        except RemoteError as exc:
            raise RemoteError(f"SPARK_REMOTE: {exc}") from None
    else:
        return None
    if url.startswith("local") and "PYSPARK_GATEWAY_PORT" in environ and "SPARK_CONNECT_MODE_ENABLED" not in environ:
        # spark-submit already started this process's JVM: no local server can be added to it.
        raise RemoteError(f"'{url}' starts a local Spark Connect server, which spark-submit's JVM cannot host: "
                          "connect to a running server with sc://host:port instead")
    return url


def local_slots(master: str) -> int | None:
    """The task slots of a `local[...]` master (`local[*]`: the machine's cores), None for any other master."""
    match = LOCAL_MASTER.fullmatch(master or "")
    if match is None:
        return None
    return (os.cpu_count() or 2) if match.group(1) == "*" else int(match.group(1) or 1)


def default_parallelism(spark) -> int:
    """Task slots of the session, on classic and Connect sessions alike (Connect has no sparkContext)."""
    if not is_connect(spark):
        return spark.sparkContext.defaultParallelism
    try:
        configured = spark.conf.get("spark.default.parallelism", None)
        if configured:
            return int(configured)
        return local_slots(spark.conf.get("spark.master", None)) or 2
    except Exception:       # a server may refuse to show a conf (e.g. CONFIG_NOT_AVAILABLE)
        return 2


def _start_local_connect(master: str, conf: dict[str, str]):
    """Start a Spark Connect server with `conf` in this process and return a Connect session on it.

    What `SparkSession.builder.remote("local[N]")` does, except that the server
    binds an ephemeral port on localhost instead of the fixed 15002, so two
    runs on one machine (or another user's server) never meet.
    """
    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession as ClassicSession
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    # The server requires this token and the client sends it (both read the environment).
    os.environ.setdefault("SPARK_CONNECT_AUTHENTICATE_TOKEN", str(uuid.uuid4()))
    server_conf = SparkConf(loadDefaults=True).setAll(list(conf.items())).setAll([
        ("spark.master", master),
        ("spark.plugins", CONNECT_PLUGIN),
        ("spark.connect.grpc.binding.address", "localhost"),
        ("spark.connect.grpc.binding.port", "0"),
        ("spark.sql.artifact.isolation.enabled", "true"),
        ("spark.sql.artifact.isolation.alwaysApplyClassloader", "true"),
    ])
    remote = os.environ.pop("SPARK_REMOTE", None)   # else spark-submit would start a client, not a server
    try:
        server = ClassicSession(SparkContext.getOrCreate(server_conf))
    finally:
        if remote is not None:
            os.environ["SPARK_REMOTE"] = remote
    server.sparkContext.setLogLevel("ERROR")        # the server's own context, as for the embedded session
    service = getattr(getattr(server._jvm, "org.apache.spark.sql.connect.service.SparkConnectService$"), "MODULE$")
    port = service.localPort()
    os.environ["SPARK_LOCAL_REMOTE"] = "1"          # session.stop() then stops the server too
    os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"  # pyspark.sql.functions etc. build Connect columns
    return ConnectSession.builder.remote(f"sc://localhost:{port}").getOrCreate()


def _connect(url: str):
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
    return ConnectSession.builder.remote(url).getOrCreate()


# ---------------------------------------------------------------- the session

def collector_options() -> str:
    """THROUGHPUT_COLLECTOR, unless the environment's JVM options already choose a collector."""
    chosen = any(COLLECTOR_CHOICE.search(os.environ.get(name, "")) for name in JVM_OPTION_VARIABLES)
    return "" if chosen else f" {THROUGHPUT_COLLECTOR}"


def default_driver_memory() -> str:
    """`spark.driver_memory` of conf/defaults.yaml: the one default of every session started here."""
    return str(defaults()["spark"]["driver_memory"])


def embedded_conf(
    driver_memory: str | None = None,
    app_name: str = "retail-synth",
    arrow_batch_rows: int = 50_000,
    warehouse_dir: str | None = None,
    metastore_dir: str | None = None,
    persistent_catalog: bool = True,
    cores: int | None = None,
) -> dict[str, str]:
    """The configuration of the embedded local session: Delta, quiet logs and, for catalogs, a Derby metastore."""
    cores = cores or os.cpu_count() or 2
    java_options = "-Dlog4j2.level=error" + collector_options()
    conf = {
        "spark.app.name": app_name,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(cores),
        "spark.default.parallelism": str(cores),
        "spark.driver.memory": driver_memory or default_driver_memory(),
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(arrow_batch_rows),
        "spark.databricks.delta.snapshotPartitions": str(cores),
    }
    if persistent_catalog:
        # Derby allows one JVM per metastore at a time, so path-only runs stay off it.
        metastore = Path(metastore_dir) if metastore_dir else home_dir()
        metastore.mkdir(parents=True, exist_ok=True)
        log4j = metastore / "log4j2.properties"
        log4j.write_text(METASTORE_LOG4J)
        java_options += (f" -Dderby.stream.error.file={metastore.resolve() / 'derby.log'}"   # not into the cwd
                         f" -Dlog4j2.configurationFile={log4j.resolve()}")
        conf.update({
            "spark.sql.catalogImplementation": "hive",
            "spark.hadoop.javax.jdo.option.ConnectionURL":
                f"jdbc:derby:;databaseName={metastore.resolve() / 'metastore_db'};create=true",
            # No retries of a failed metastore call: one embedded Derby has nothing a retry could wait
            # out. Measured: a catalog table was then written in 2.1-2.7 s instead of 2.7-4.2 s.
            "spark.hadoop.hive.hmshandler.retry.attempts": "1",
            "spark.hadoop.hive.hmshandler.retry.interval": "0",
        })
    # Spark creates its warehouse folder at start: under home_dir(), not as ./spark-warehouse.
    conf["spark.sql.warehouse.dir"] = str(Path(warehouse_dir or home_dir() / "spark-warehouse").resolve())
    conf["spark.driver.extraJavaOptions"] = java_options
    jars = cached_delta_jars()
    if jars:   # resolved before: load them straight from the cache, no resolution
        conf["spark.jars"] = ",".join(jars)
    else:      # first start: Ivy resolves the Delta JAR and its dependencies from Maven Central
        conf.update({"spark.jars.packages": delta_package(), "spark.jars.ivy": str(ivy_cache_dir())})
    conf.update(DELTA_CONFIGS)
    return conf


def _active_session(remote: str | None):
    """The session this process already has (classic, or Connect once a Connect session was made here)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is None and remote is None and ({"PYSPARK_GATEWAY_PORT", "DATABRICKS_RUNTIME_VERSION"} & set(os.environ)):
        # Launched by spark-submit (the JVM and its --packages/--conf are already set), or a Databricks task,
        # serverless included, whose runtime hands out its own session.
        active = SparkSession.builder.getOrCreate()
    return active


def get_spark(
    driver_memory: str | None = None,
    app_name: str = "retail-synth",
    arrow_batch_rows: int = 50_000,
    warehouse_dir: str | None = None,
    remote: str | None = None,
    metastore_dir: str | None = None,
    persistent_catalog: bool = True,
    master: str = "local[*]",
):
    """Return the active session, a Spark Connect session (`remote` or $SPARK_REMOTE), or a new embedded one.

    The rest applies only to an embedded session started here (classic, or a
    `local[N]` Connect server); an active or `sc://` session keeps its own
    catalog. `persistent_catalog` keeps managed tables in a Derby metastore
    (`metastore_dir`, default `home_dir()`) so that they outlive the session;
    path-only work can do without it. `master` is the embedded classic
    session's (`local[1]` measures one core). `driver_memory` defaults to
    `spark.driver_memory` of conf/defaults.yaml.
    """
    remote = remote_from(remote)
    active = _active_session(remote)
    if active is not None and remote is not None and not is_connect(active):
        # pyspark switches its functions to Connect process-wide: one process holds one kind of session.
        raise RemoteError("a classic Spark session is already running in this process: Spark Connect cannot be used here")
    if active is None and remote is not None and remote.startswith("sc://"):
        active = _connect(remote)
    if active is not None:
        active.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(arrow_batch_rows))
        return active

    _require_java()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    conf = embedded_conf(driver_memory, app_name, arrow_batch_rows, warehouse_dir, metastore_dir, persistent_catalog,
                         cores=local_slots(remote or master))
    if remote is not None:
        return _start_local_connect(remote, conf)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master)
    for key, value in conf.items():
        builder = builder.config(key, value)
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
