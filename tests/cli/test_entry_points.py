"""The three ways in (console script, spark-submit, notebook) and what bad input does."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from retail_synth.cli.main import DEFAULT_PRESET
from retail_synth.spark.run_journal import RUN_MARKER
from retail_synth.spark.session import spark_submit_arguments
from retail_synth.spec.configuration import resolve
from retail_synth.tables.registry import WRITTEN_TABLES
from tests.conftest import NORMAL_OPS_EMPTY

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _retail_synth(*args, cwd):
    return subprocess.run(
        [str(BIN / "retail-synth"), *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )


def test_negative_count_exits_2_with_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    result = _retail_synth("generate", "--preset", "tiny", "--set", "customers.customer_count=-3",
                           "--output", str(out), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "customers.customer_count" in result.stderr
    assert not out.exists()


def test_misspelt_key_exits_2_naming_key_and_suggestion(tmp_path):
    out = tmp_path / "out"
    result = _retail_synth("generate", "--preset", "tiny", "--set", "customers.customer_cont=10",
                           "--output", str(out), cwd=tmp_path)
    assert result.returncode == 2
    assert "'customers.customer_cont'" in result.stderr and "did you mean 'customers.customer_count'" in result.stderr
    assert not out.exists()


def test_unknown_preset_exits_2_listing_presets(tmp_path):
    result = _retail_synth("generate", "--preset", "enormous", cwd=tmp_path)
    assert result.returncode == 2
    assert "presets are: full, medium, small, tiny" in result.stderr
    assert not (tmp_path / "warehouse").exists()


def test_presets_command_lists_sizes(tmp_path):
    result = _retail_synth("presets", cwd=tmp_path)
    assert result.returncode == 0
    assert "94,900,000" in result.stdout and "tiny" in result.stdout


@pytest.mark.spark
@pytest.mark.own_spark
def test_spark_submit_runs_the_tiny_preset(tmp_path):
    out = tmp_path / "warehouse"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    result = subprocess.run(
        [str(BIN / "spark-submit"), *spark_submit_arguments(), str(ROOT / "src" / "retail_synth" / "__main__.py"),
         "generate", "--preset", "tiny", "--output", str(out)],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=600, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for table in WRITTEN_TABLES:
        assert (out / table / "_delta_log").is_dir(), table
    assert (out / RUN_MARKER).is_file()
    assert "gold_inventory_fact" in result.stdout


class _Widgets:
    """Databricks' dbutils.widgets as the notebook uses it: text(name, default) declares, get(name) reads."""

    def __init__(self, values: dict[str, str]):
        self.values, self.declared = values, {}

    def text(self, name, default):
        self.declared[name] = default

    def get(self, name):
        return self.values.get(name, self.declared[name])


@pytest.mark.spark
@pytest.mark.long
def test_notebook_widgets_default_to_the_cli_defaults_and_it_uses_the_session_it_is_given(spark):
    widgets = _Widgets({"preset": "tiny", "catalog": "spark_catalog", "schema": "retail_synth_notebook"})
    namespace = runpy.run_path(str(ROOT / "notebooks" / "generate_retail_data.py"), run_name="__main__",
                               init_globals={"spark": spark, "dbutils": type("DBUtils", (), {"widgets": widgets})})
    assert widgets.declared == namespace["WIDGET_DEFAULTS"]
    assert widgets.declared["preset"] == DEFAULT_PRESET
    assert widgets.declared["seed"] == str(resolve(preset=DEFAULT_PRESET).seed)
    assert namespace["spark"] is spark
    for table in WRITTEN_TABLES:
        assert spark.table(f"spark_catalog.retail_synth_notebook.{table}").limit(1).count() == int(
            table not in NORMAL_OPS_EMPTY), table
