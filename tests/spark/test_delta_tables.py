"""Targets: names are checked before Spark starts and quoted wherever they enter SQL."""

import pytest

from retail_synth.cli.main import main
from retail_synth.spark.delta_tables import Target


@pytest.mark.parametrize("flags", [
    ["--catalog", "spark_catalog", "--schema", "rs`; DROP TABLE x; --"],
    ["--catalog", "main;", "--schema", "rs"],
    ["--catalog", "spark_catalog", "--schema", "9lives"],
    ["--catalog", "spark_catalog", "--schema", ""],
])
def test_bad_catalog_or_schema_names_are_one_line_and_exit_2(flags, capsys):
    for command in (["generate", "--preset", "tiny"], ["validate"], ["rollback"], ["clean"], ["history"]):
        assert main([*command, *flags]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and err.startswith("retail-synth: error:")


def test_identifiers_are_quoted():
    assert Target(catalog="main", schema="rs").identifier("gold_sales_fact") == "`main`.`rs`.`gold_sales_fact`"
    assert Target(output_dir="/tmp/a`b").identifier("gold_x") == "delta.`/tmp/a``b/gold_x`"
