"""Spark Connect: a run over `--remote local[2]` equals the classic run, validate passes over Connect, and a
Connect session (no sparkContext) knows its server's task slots.

The commands run in one subprocess, one after the other on one local Connect
server: this process already holds the classic session, and one process cannot
hold both.
"""

import json
import os
import subprocess
import sys

import pytest
from chispa import assert_df_equality

from retail_synth.spark.delta_tables import Target
from retail_synth.spark.run_journal import RunJournal
from retail_synth.tables.registry import WRITTEN_TABLES
from tests.conftest import SPAWNED_JVM_OPTIONS
from tests.support.simulated_worlds import ANOMALY_HEAVY

COMMANDS_IN_ONE_PROCESS = """\
import json, sys
from retail_synth.cli.main import main
for command in json.loads(sys.argv[1]):
    print(f"=== {command[0]}", flush=True)
    status = main(command)
    sys.stdout.flush()
    if status:
        sys.exit(status)
"""


@pytest.fixture(scope="module")
def over_connect(tiny_run, tmp_path_factory) -> dict:  # noqa: ARG001  the classic run is written before the Connect one
    """generate tiny with seed 7 over `--remote local[2]`, walked in two barrier tasks, then validate it over the
    same server; and anomaly-heavy split: generated to 2024-11-30, then extended to tiny's end, walked in stages
    (the split of a normal-ops run is checked on the classic session, tests/spark/test_extend.py)."""
    folder = tmp_path_factory.mktemp("connect")
    out, heavy = folder / "warehouse", folder / "split-anomaly-heavy"
    heavy_settings = [flag for assignment in ANOMALY_HEAVY for flag in ("--set", assignment)]
    staged = ["--set", "spark.walk_blocks_per_task=1"]      # the staged exchange: 4 tasks of one block each
    commands = [["generate", "--remote", "local[2]", "--preset", "tiny", "--scenario", "anomaly-heavy",
                 *heavy_settings, *staged, "--output", str(heavy), "--set", "end_date=2024-11-30", "--quiet"],
                ["extend", "--remote", "local[2]", "--output", str(heavy), "--until", "2024-12-14", *staged,
                 "--quiet"],
                ["generate", "--remote", "local[2]", "--preset", "tiny", "--seed", "7", "--output", str(out),
                 "--set", "spark.walk_blocks_per_task=2", "--set", "spark.cart_exchange=barrier"],   # two barrier tasks
                ["validate", "--remote", "local[2]", "--output", str(out)]]
    env = dict(os.environ, RETAIL_SYNTH_HOME=str(folder / "home"))
    env.pop("SPARK_REMOTE", None)
    result = subprocess.run([sys.executable, "-c", COMMANDS_IN_ONE_PROCESS, json.dumps(commands)], cwd=folder,
                            env=env, capture_output=True, text=True, check=False, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"output": out, "split_anomaly_heavy": heavy,
            "validate_lines": result.stdout.split("=== validate\n", 1)[1].splitlines()}


def _without_etl_timestamp(frame):
    return frame.drop("etl_timestamp") if "etl_timestamp" in frame.columns else frame


@pytest.mark.spark
@pytest.mark.own_spark
def test_generate_over_connect_equals_the_classic_run(spark, tiny_run, over_connect):
    run = RunJournal(spark, Target(output_dir=str(over_connect["output"]))).last_complete()
    assert (run.summary["cart_exchange"], run.summary["walk_tasks"]) == ("barrier", 2)
    for table in WRITTEN_TABLES:
        written = spark.read.format("delta").load(str(over_connect["output"] / table))
        assert_df_equality(_without_etl_timestamp(written), _without_etl_timestamp(tiny_run.read(spark, table)),
                           ignore_row_order=True, ignore_nullable=False)


@pytest.mark.spark
@pytest.mark.own_spark
def test_an_anomaly_heavy_split_over_connect_equals_one_classic_run(spark, anomaly_heavy_run, over_connect):
    runs = RunJournal(spark, Target(output_dir=str(over_connect["split_anomaly_heavy"]))).runs()
    assert [(run.summary["cart_exchange"], run.summary["walk_tasks"]) for run in runs] == [("stages", 4)] * 2
    for table in WRITTEN_TABLES:
        written = spark.read.format("delta").load(str(over_connect["split_anomaly_heavy"] / table))
        assert_df_equality(_without_etl_timestamp(written),
                           _without_etl_timestamp(anomaly_heavy_run.read(spark, table)),
                           ignore_row_order=True, ignore_nullable=True)


@pytest.mark.spark
@pytest.mark.own_spark
def test_validate_over_connect_passes(over_connect):
    judged = {line.split()[1]: line.split()[0] for line in over_connect["validate_lines"]}
    assert len(judged) > 200 and "run_complete" in judged
    assert all(status in ("PASS", "TOO_SMALL") or (status in ("WARN", "INFO") and check.startswith("realism."))
               for check, status in judged.items()), over_connect["validate_lines"]


TASK_SLOTS = """\
from retail_synth.spark.session import default_parallelism, get_spark, is_connect
spark = get_spark(remote="local[3]", persistent_catalog=False)
print("connect", is_connect(spark), "slots", default_parallelism(spark), flush=True)
"""


@pytest.mark.spark
@pytest.mark.own_spark
def test_a_connect_session_has_the_task_slots_of_its_server(tmp_path):
    """A real local[3] Connect server: 3 slots, read from the server's configuration (2 is the fallback)."""
    env = dict(os.environ, RETAIL_SYNTH_HOME=str(tmp_path / "home"))
    env.pop("SPARK_REMOTE", None)
    env.setdefault("SPARK_SUBMIT_OPTS", SPAWNED_JVM_OPTIONS)
    result = subprocess.run([sys.executable, "-c", TASK_SLOTS], cwd=tmp_path, env=env, capture_output=True, text=True,
                            check=False, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "connect True slots 3" in result.stdout.splitlines(), result.stdout[-3000:]
