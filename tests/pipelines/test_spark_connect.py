"""Spark Connect: a run over `--remote local[2]` equals the classic run, and validate passes over Connect.

Both run the CLI as a subprocess: this process already holds the classic
session, and one process cannot hold both.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from chispa import assert_df_equality

from components.tables.registry import WRITTEN_TABLES

BIN = Path(sys.executable).parent


def _retail_synth(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, RETAIL_SYNTH_HOME=str(cwd / "home"))
    env.pop("SPARK_REMOTE", None)
    return subprocess.run([str(BIN / "retail-synth"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=1200)


def _without_etl_timestamp(frame):
    return frame.drop("etl_timestamp") if "etl_timestamp" in frame.columns else frame


@pytest.mark.spark
def test_generate_over_connect_equals_the_classic_run(spark, tiny_run, tmp_path):
    out = tmp_path / "warehouse"
    result = _retail_synth("generate", "--remote", "local[2]", "--preset", "tiny", "--seed", "7",
                           "--output", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    for table in WRITTEN_TABLES:
        over_connect = spark.read.format("delta").load(str(out / table))
        assert_df_equality(_without_etl_timestamp(over_connect), _without_etl_timestamp(tiny_run.read(spark, table)),
                           ignore_row_order=True, ignore_nullable=False)


@pytest.mark.spark
def test_validate_over_connect_passes_on_the_tiny_run(tiny_run, tmp_path):
    result = _retail_synth("validate", "--remote", "local[2]", "--output", tiny_run.output_dir, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    judged = {line.split()[1]: line.split()[0] for line in lines}
    assert judged and all(status in ("PASS", "TOO_SMALL") or (status == "WARN" and check.startswith("realism."))
                          for check, status in judged.items()), result.stdout
