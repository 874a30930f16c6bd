"""A run stopped part-way puts every table back: on SIGINT by itself, after SIGKILL through `retail-synth rollback`."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retail_synth.checks.validate import FAIL, MISSING, PASS, TOO_SMALL, WARN
from retail_synth.cli.main import main
from retail_synth.spark.delta_tables import Target, table_run_id
from retail_synth.spark.run_journal import RUNNING, RunJournal
from retail_synth.tables.registry import WALK_TABLES, WRITTEN_TABLES

BIN = Path(sys.executable).parent


def table_state(spark, target: Target) -> dict[str, tuple[int, str]]:
    """Rows and run id of every written table."""
    return {t: (target.read(spark, t).count(), table_run_id(spark, target, t)) for t in WRITTEN_TABLES}


def fact_tables_replaced(folder: Path) -> int:
    """How many walk tables have a second commit: the rerun replaced them."""
    return sum((folder / t / "_delta_log" / "00000000000000000001.json").is_file() for t in WALK_TABLES)


def start_rerun(folder: Path, tmp_path: Path) -> subprocess.Popen:
    env = dict(os.environ, SPARK_LOCAL_DIRS=str(tmp_path / "spark-local"))
    return subprocess.Popen(
        [str(BIN / "retail-synth"), "generate", "--preset", "tiny", "--seed", "9", "--output", str(folder), "--quiet"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )


def wait_for_a_replaced_fact_table(run: subprocess.Popen, folder: Path) -> None:
    deadline = time.monotonic() + 600
    while fact_tables_replaced(folder) == 0:
        assert run.poll() is None, run.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "no fact table was replaced in time"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def tiny_state(spark, tiny_run) -> dict[str, tuple[int, str]]:
    return table_state(spark, tiny_run)


@pytest.fixture
def copy_of_tiny(tiny_run, tmp_path) -> Path:
    folder = tmp_path / "warehouse"
    shutil.copytree(tiny_run.output_dir, folder)
    return folder


@pytest.mark.own_spark
def test_sigint_restores_every_table_and_exits_130(spark, tiny_state, copy_of_tiny, tmp_path, capsys):
    before = tiny_state
    run = start_rerun(copy_of_tiny, tmp_path)
    wait_for_a_replaced_fact_table(run, copy_of_tiny)
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=600)

    assert run.returncode == 130, stderr[-3000:]
    assert "interrupted" in stderr and "restored" in stderr
    assert table_state(spark, Target(output_dir=str(copy_of_tiny))) == before
    journal = RunJournal(spark, Target(output_dir=str(copy_of_tiny)))
    assert journal.last().status == "rolled_back" and journal.last_complete().run_id == before["gold_date_dim"][1]

    assert main(["history", "--output", str(copy_of_tiny)]) == 0
    runs = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert [(r[0].split("-")[1], r[-2]) for r in runs] == [("seed7", "complete"), ("seed9", "rolled_back")]


@pytest.mark.own_spark
def test_sigkill_leaves_an_incomplete_run_that_validate_reports_and_rollback_restores(
        spark, tiny_state, copy_of_tiny, tmp_path, capsys):
    before = tiny_state
    run = start_rerun(copy_of_tiny, tmp_path)
    wait_for_a_replaced_fact_table(run, copy_of_tiny)
    os.killpg(run.pid, signal.SIGKILL)
    run.communicate(timeout=120)
    target = Target(output_dir=str(copy_of_tiny))
    assert RunJournal(spark, target).last().status == RUNNING

    assert main(["validate", "--output", str(copy_of_tiny)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("FAIL") and " run_complete " in line and "incomplete" in line for line in lines)
    judged = [line.split()[1] for line in lines if line.split()[:1] in ([PASS], [FAIL], [WARN], [MISSING], [TOO_SMALL])]
    assert judged == ["run_complete"], lines     # the tables mix two runs: nothing else is judged

    assert main(["rollback", "--output", str(copy_of_tiny)]) == 0
    assert "rolled back run tiny-seed9-" in capsys.readouterr().out
    assert table_state(spark, target) == before
    assert main(["rollback", "--output", str(copy_of_tiny)]) == 0
    assert "nothing to roll back" in capsys.readouterr().out
