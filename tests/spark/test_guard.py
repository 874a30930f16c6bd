"""The safety guard refuses foreign tables, protected names and oversized runs, before anything is written."""

import shutil
from pathlib import Path

import pytest

from retail_synth.cli.main import main
from retail_synth.spark.delta_tables import Target
from retail_synth.spark.guard import protected_name
from retail_synth.spark.state_table import STATE_TABLE

PATTERNS = ["prod", "production", "live"]


@pytest.mark.parametrize("target", [
    Target(output_dir="/data/prod/warehouse"),
    Target(output_dir="/data/sales_production_db"),
    Target(catalog="main", schema="live_sales"),
    Target(catalog="Prod", schema="rs"),
])
def test_protected_names_are_refused(target):
    assert "matches guard pattern" in protected_name(target, PATTERNS)


@pytest.mark.parametrize("target", [
    Target(output_dir="/data/products/warehouse"),
    Target(output_dir="/home/olive/warehouse"),
    Target(catalog="main", schema="delivery"),
])
def test_names_that_only_contain_a_pattern_pass(target):
    assert protected_name(target, PATTERNS) is None


def test_protected_target_is_refused_without_spark_and_left_alone(tmp_path, capsys):
    folder = tmp_path / "prod" / "warehouse"
    assert main(["generate", "--preset", "tiny", "--output", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "guard pattern 'prod'" in err and "--force" in err
    assert not folder.exists()


def test_oversized_run_is_refused_even_with_force(tmp_path, capsys):
    folder = tmp_path / "w"
    assert main(["generate", "--preset", "full", "--set", "output.max_rows=1000000", "--force",
                 "--output", str(folder)]) == 2
    assert "above output.max_rows (1,000,000)" in capsys.readouterr().err
    assert not folder.exists()


@pytest.fixture
def folder_with_foreign_table(spark, tiny_run, tmp_path) -> Path:
    folder = tmp_path / "shared"
    shutil.copytree(tiny_run.output_dir, folder)
    spark.range(5).write.format("delta").save(str(folder / "finance_ledger"))
    return folder


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.mark.usefixtures("spark")
def test_foreign_table_is_refused_and_dry_run_writes_nothing(folder_with_foreign_table, capsys):
    before = snapshot(folder_with_foreign_table)
    assert main(["generate", "--preset", "tiny", "--output", str(folder_with_foreign_table)]) == 2
    assert "tables retail-synth did not write (finance_ledger)" in capsys.readouterr().err

    assert main(["generate", "--preset", "tiny", "--dry-run", "--output", str(folder_with_foreign_table)]) == 0
    plan = capsys.readouterr().out
    assert "gold_inventory_fact" in plan and "~" in plan and "guard: would refuse" in plan and "nothing written" in plan
    assert snapshot(folder_with_foreign_table) == before


@pytest.mark.usefixtures("spark")
def test_clean_lists_then_removes_only_its_own_tables(folder_with_foreign_table, capsys):
    assert main(["clean", "--output", str(folder_with_foreign_table)]) == 2
    captured = capsys.readouterr()
    assert "gold_sales_fact" in captured.out and "--confirm DELETE_RETAIL_SYNTH_TABLES" in captured.err
    assert f"  {STATE_TABLE}\n" in captured.out       # the simulation state is the project's: clean removes it too
    assert (folder_with_foreign_table / "gold_sales_fact").is_dir()
    assert main(["clean", "--output", str(folder_with_foreign_table), "--confirm", "yes"]) == 2
    assert (folder_with_foreign_table / "gold_sales_fact").is_dir()

    assert main(["clean", "--output", str(folder_with_foreign_table), "--confirm", "DELETE_RETAIL_SYNTH_TABLES"]) == 0
    assert sorted(p.name for p in folder_with_foreign_table.iterdir()) == ["finance_ledger"]
