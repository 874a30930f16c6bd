"""The job on a real standalone cluster of this machine: a master and two one-core workers, submitted through
`make submit`, its executors on a Python that has the runtime libraries but not this project.

Every table must equal a local run of the same seed, row for row (`etl_timestamp`, the wall clock, aside).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from dataclasses import dataclass
from importlib.metadata import requires, version
from pathlib import Path

import pyspark
import pytest
from packaging.requirements import Requirement

from retail_synth.spark.delta_tables import Target
from retail_synth.spark.run_journal import RunJournal
from retail_synth.spark.session import ivy_cache_dir
from retail_synth.tables.registry import WRITTEN_TABLES
from tests.conftest import NORMAL_OPS_EMPTY, SPAWNED_JVM_OPTIONS, TINY_SEED
from tests.deployment.conftest import ROOT, clean_environment

# Spark processes of their own (a cluster, a fresh venv's JVMs): out of `make test` and of the `-m "not spark"` loop
pytestmark = [pytest.mark.spark, pytest.mark.own_spark]

WALL_CLOCK_COLUMNS = ("etl_timestamp",)
SPARK_HOME = Path(pyspark.__file__).parent


def runtime_requirements() -> list[str]:
    """The project's own dependencies (no extras), pinned to this venv's versions so the numbers are the same."""
    names = {Requirement(r).name for r in requires("retail-synth") if Requirement(r).marker is None}
    return sorted(f"{name}=={version(name)}" for name in names)


@pytest.fixture(scope="session")
def executor_python() -> Path:
    """A venv with the runtime libraries and not this project, built once into the user cache and reused."""
    venv = ivy_cache_dir().parent / "executor-venv"
    python, pinned = venv / "bin" / "python", venv / "requirements.txt"
    wanted = "\n".join(runtime_requirements()) + "\n"
    if not (python.exists() and pinned.is_file() and pinned.read_text() == wanted):
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        (venv / "wanted.txt").write_text(wanted)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(venv / "wanted.txt")],
                       check=True, env=clean_environment(), timeout=900)
        pinned.write_text(wanted)        # written last: a half-built venv is rebuilt next time
    return python


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Cluster:
    url: str
    status_url: str
    work_dirs: tuple[Path, ...]
    env: dict

    def status(self) -> dict:
        with urllib.request.urlopen(self.status_url, timeout=10) as response:
            return json.load(response)


@pytest.fixture
def standalone_cluster(tmp_path):
    """A master and two workers of one core on 127.0.0.1, stopped (executors included) whatever happens."""
    env = clean_environment(SPARK_HOME=str(SPARK_HOME), SPARK_LOCAL_IP="127.0.0.1", SPARK_DAEMON_MEMORY="256m",
                            SPARK_DAEMON_JAVA_OPTS=SPAWNED_JVM_OPTIONS,
                            SPARK_LOCAL_DIRS=str(tmp_path / "spark-local"), SPARK_LOG_DIR=str(tmp_path / "logs"))
    spark_class = str(SPARK_HOME / "bin" / "spark-class")
    processes = []

    def start(name: str, *args: str) -> None:
        log = (tmp_path / f"{name}.log").open("w")
        # A session of its own, so that stopping the group also stops the executors a worker started.
        processes.append(subprocess.Popen([spark_class, *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True))

    try:
        port, ui = _free_port(), _free_port()
        start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
              "--webui-port", str(ui))
        cluster = Cluster(f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui}/json/",
                          (tmp_path / "worker-1", tmp_path / "worker-2"), env)
        for work_dir in cluster.work_dirs:
            start(work_dir.name, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                  "--port", str(_free_port()), "--webui-port", str(_free_port()), "--cores", "1", "--memory", "1g",
                  "--work-dir", str(work_dir), cluster.url)
        deadline = time.monotonic() + 180
        while True:
            assert all(p.poll() is None for p in processes), "a cluster process died; see the logs in " + str(tmp_path)
            try:
                if cluster.status().get("aliveworkers") == 2:
                    break
            except OSError:
                pass                    # the master's UI is not up yet
            assert time.monotonic() < deadline, "the two workers did not register within 180 s"
            time.sleep(1)
        yield cluster
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def submitted_tiny(cluster: Cluster, executor_python: Path, folder: Path, *conf: str) -> Path:
    """tiny (seed TINY_SEED, its walk in 2 barrier tasks where barrier stages run) submitted through `make submit`
    with the spark-submit options `conf`; returns its output.

    The executors run the executor venv's Python (without this project), and
    both workers must have run an executor of the one application, which finished.
    """
    assert subprocess.run([str(executor_python), "-c", "import retail_synth"], cwd=folder, env=clean_environment(),
                          capture_output=True, check=False).returncode != 0, "the executors' Python has the project"
    calls = folder / "executor-python.calls"
    executor = folder / "executor-python"      # records that the executors ran it, then is the executor venv's Python
    executor.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {executor_python} "$@"\n')
    executor.chmod(0o755)

    out = folder / "cluster-run"
    # The executors' JVMs take the options of every JVM the suite spawns (the driver's come from SPARK_SUBMIT_OPTS).
    options = " ".join([f"--conf spark.pyspark.python={executor} --conf spark.driver.host=127.0.0.1",
                        "--executor-memory 1g --conf spark.executor.cores=1 --conf spark.sql.shuffle.partitions=2",
                        f"--conf 'spark.executor.extraJavaOptions={SPAWNED_JVM_OPTIONS}'",
                        *conf])
    submitted = subprocess.run(
        ["make", "--no-print-directory", "submit", f"MASTER={cluster.url}",
         (f"ARGS=generate --preset tiny --seed {TINY_SEED} --quiet --output {out} --set spark.walk_blocks_per_task=2 "
          "--set spark.cart_exchange=barrier"),
         f"SUBMIT_OPTS={options}"],
        cwd=ROOT, env=cluster.env, capture_output=True, text=True, check=False, timeout=1500,
    )
    assert submitted.returncode == 0, submitted.stdout[-2000:] + submitted.stderr[-5000:]

    apps = cluster.status()["completedapps"]
    assert [app["state"] for app in apps] == ["FINISHED"]
    for work_dir in cluster.work_dirs:
        assert list(work_dir.glob("app-*/*/stderr")), f"{work_dir.name} ran no executor"
    assert "pyspark" in calls.read_text()
    return out


def test_tiny_on_a_standalone_cluster_equals_a_local_run(spark, tiny_run, standalone_cluster, executor_python, tmp_path):
    out = submitted_tiny(standalone_cluster, executor_python, tmp_path)
    run = RunJournal(spark, Target(output_dir=str(out))).last_complete()
    # barrier when both executors have registered before the walk starts; otherwise Spark refuses the barrier
    # stage (BarrierJobSlotsNumberCheckFailed: more tasks than slots, seen in CI runs of 2026-12-05 and -06)
    # and the walk takes stages, in the same 2 tasks
    assert run.summary["cart_exchange"] in ("barrier", "stages") and run.summary["walk_tasks"] == 2, run.summary
    if run.summary["cart_exchange"] == "stages":
        warnings.warn(f"the walk left barrier for stages: {run.summary.get('walk_fallback')}", stacklevel=1)
    assert_same_as_a_local_run(spark, out, tiny_run)


def test_with_dynamic_allocation_the_walk_runs_in_stages_of_several_tasks_and_writes_the_same_tables(
        spark, tiny_run, standalone_cluster, executor_python, tmp_path):
    """Dynamic allocation refuses barrier stages: the walk takes the staged exchange, in the same 2 tasks."""
    out = submitted_tiny(standalone_cluster, executor_python, tmp_path,
                         "--conf spark.dynamicAllocation.enabled=true",
                         "--conf spark.dynamicAllocation.shuffleTracking.enabled=true",
                         "--conf spark.dynamicAllocation.minExecutors=0 --conf spark.dynamicAllocation.maxExecutors=2")
    run = RunJournal(spark, Target(output_dir=str(out))).last_complete()
    assert (run.summary["cart_exchange"], run.summary["walk_tasks"]) == ("stages", 2), run.summary
    assert run.summary["walk_fallback"], run.summary           # the refusal, as Spark worded it
    assert run.summary["phase_seconds"]["rounds"] > 0
    assert_same_as_a_local_run(spark, out, tiny_run)


def assert_same_as_a_local_run(spark, out: Path, local: Target) -> None:
    """Every table of the cluster's run equals the suite's tiny run (seed TINY_SEED, the default exchange and tasks)."""
    for table in WRITTEN_TABLES:
        on_cluster = spark.read.format("delta").load(str(out / table)).drop(*WALL_CLOCK_COLUMNS)
        here = spark.read.format("delta").load(f"{local.output_dir}/{table}").drop(*WALL_CLOCK_COLUMNS)
        assert on_cluster.schema == here.schema, table
        assert here.isEmpty() == (table in NORMAL_OPS_EMPTY), table
        # Rows in one and not the other, duplicates counted: empty only when the two are the same multiset.
        assert on_cluster.exceptAll(here).unionAll(here.exceptAll(on_cluster)).isEmpty(), table
