"""`retail_synth.generate` from Python: the guard runs inside it, and what a run returns is a typed summary."""

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import retail_synth
from retail_synth import RunRefused, RunSummary, TableSummary, Target
from retail_synth.spark.run_journal import RunJournal
from retail_synth.tables.registry import WRITTEN_TABLES

PROD = Target(catalog="spark_catalog", schema="prod")


class Started(Exception):
    """Raised from on_start: the guard let the run through, and the test stops it before it writes."""


def stop_at_start(plan):
    raise Started(plan)


def test_a_protected_catalog_schema_is_refused_from_python():
    with pytest.raises(RunRefused) as refused:
        retail_synth.generate(target=PROD, preset="tiny")
    assert str(refused.value) == refused.value.refusals[0]
    assert "spark_catalog.prod" in str(refused.value) and "guard pattern 'prod'" in str(refused.value)


def test_the_protected_name_is_refused_before_spark_starts_and_nothing_is_created(tmp_path):
    """In a process of its own: no JVM is launched, no metastore or warehouse folder appears."""
    home = tmp_path / "home"
    code = (
        "import retail_synth, pyspark\n"
        "try:\n"
        "    retail_synth.generate(target=retail_synth.Target(catalog='spark_catalog', schema='prod'), preset='tiny')\n"
        "except retail_synth.RunRefused as refused:\n"
        "    print(refused)\n"
        "print('jvm' if pyspark.SparkContext._gateway is not None else 'no jvm')\n"
    )
    env = dict(os.environ, RETAIL_SYNTH_HOME=str(home))
    result = subprocess.run([sys.executable, "-c", code], check=False, cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    refusal, started = result.stdout.strip().splitlines()
    assert "guard pattern 'prod'" in refusal and started == "no jvm"
    assert list(tmp_path.iterdir()) == []         # no metastore (home), warehouse or derby.log


def test_force_passes_the_protected_name_but_never_the_size(tmp_path):
    target = Target(output_dir=str(tmp_path / "prod" / "warehouse"))
    with pytest.raises(RunRefused) as unforced:
        retail_synth.generate(target=target, preset="tiny", assignments=["output.max_rows=1000"])
    with pytest.raises(RunRefused) as forced:
        retail_synth.generate(target=target, preset="tiny", assignments=["output.max_rows=1000"], force=True)
    assert len(unforced.value.refusals) == 2 and "guard pattern 'prod'" in unforced.value.refusals[1]
    assert forced.value.refusals == unforced.value.refusals[:1]
    assert "above output.max_rows (1,000)" in str(forced.value)
    assert not (tmp_path / "prod").exists()


def test_an_oversized_run_is_refused_from_python_even_with_force(tmp_path):
    folder = tmp_path / "w"
    with pytest.raises(RunRefused, match=r"above output\.max_rows \(1,000,000\)"):
        retail_synth.generate(target=Target(output_dir=str(folder)), preset="full",
                              assignments=["output.max_rows=1000000"], force=True)
    assert not folder.exists()


def test_a_config_and_flags_to_resolve_one_are_not_both_taken(tmp_path):
    config = retail_synth.load_config(preset="tiny")
    with pytest.raises(TypeError):
        retail_synth.generate(config, target=Target(output_dir=str(tmp_path / "w")), seed=3)
    assert not (tmp_path / "w").exists()


def test_the_plan_without_a_session_judges_size_and_names_only():
    config = retail_synth.load_config(preset="tiny")
    plan = retail_synth.plan(config, PROD)
    assert not plan.target_checked and plan.rows == sum(plan.estimates.values()) > 0
    assert list(plan.estimates) == list(WRITTEN_TABLES) and "guard pattern 'prod'" in plan.refusals[0]
    assert retail_synth.plan(config, PROD, force=True).refusals == ()


def test_force_passes_the_guard_of_a_protected_catalog_schema(spark):
    """With force the guard lets the run through (on_start is called); stopped there, nothing is created."""
    assert not spark.catalog.databaseExists("spark_catalog.prod")
    with pytest.raises(Started) as started:
        retail_synth.generate(target=PROD, spark=spark, preset="tiny", force=True, on_start=stop_at_start)
    plan = started.value.args[0]
    assert plan.refusals == () and plan.target_checked and plan.target == PROD
    assert not spark.catalog.databaseExists("spark_catalog.prod")


def test_foreign_tables_are_refused_unless_forced(spark, tmp_path):
    folder = tmp_path / "shared"
    spark.range(3).write.format("delta").save(str(folder / "finance_ledger"))
    target = Target(output_dir=str(folder))
    with pytest.raises(RunRefused, match=r"did not write \(finance_ledger\)"):
        retail_synth.generate(target=target, spark=spark, preset="tiny")
    with pytest.raises(Started):
        retail_synth.generate(target=target, spark=spark, preset="tiny", force=True, on_start=stop_at_start)
    assert sorted(p.name for p in folder.iterdir()) == ["finance_ledger"]


def test_the_run_summary_is_typed_frozen_and_what_the_run_wrote(spark, tiny_written):
    target, summary = tiny_written
    assert isinstance(summary, RunSummary) and all(isinstance(t, TableSummary) for t in summary.tables)
    assert [t.table for t in summary.tables] == list(WRITTEN_TABLES)
    assert summary.rows == sum(t.rows for t in summary.tables) > 0
    for table in summary.tables:
        assert target.read(spark, table.table).count() == table.rows, table.table
        assert table.seconds >= 0
    assert (summary.preset, summary.scenario, summary.seed) == ("tiny", "normal-ops", 7)
    config = retail_synth.load_config(preset="tiny", seed=7)
    assert (summary.start_date, summary.end_date) == (config.start_date, config.end_date)
    assert isinstance(summary.etl_timestamp, dt.datetime) and summary.target == str(Path(target.output_dir).resolve())
    assert summary.cart_exchange in ("barrier", "pilot", "in_task") and summary.walk_tasks >= 1
    assert set(summary.phase_seconds) == {"walk", "carts", "after_walk"}
    assert summary.seconds >= max(summary.phase_seconds.values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.seed = 8

    run = RunJournal(spark, target).last()
    assert (run.run_id, run.rows, run.status) == (summary.run_id, summary.rows, "complete")
    assert run.summary == json.loads(json.dumps(summary.as_dict(), default=str))
