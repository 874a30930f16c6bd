"""The registry: every table list comes from the contracts, and every producer keeps to its contract."""

from __future__ import annotations

import pytest

from retail_synth.spark.affinity_table import AFFINITY_TABLE, READS
from retail_synth.spark.dimension_tables import build_dimensions
from retail_synth.spec.contracts import SOURCES, all_tables, arrow_schema, load_contract
from retail_synth.tables import registry
from tests.support.simulated_worlds import (
    ANOMALY_HEAVY,
    tiny_block,
    tiny_decisions,
    tiny_dimensions,
    tiny_world,
    walked_in_blocks,
)
from tests.tables.tiny_tables import ETL, decision_batches, formatted, tiny_table


def test_every_contract_has_a_source_and_every_table_is_written_once():
    assert {load_contract(t).source for t in all_tables()} == set(SOURCES)
    assert sorted(registry.WRITTEN_TABLES) == all_tables()
    assert registry.WRITTEN_TABLES == (registry.DIMENSION_TABLES + registry.FACT_TABLES + registry.DERIVED_TABLES)
    assert registry.FACT_TABLES == registry.WALK_TABLES + registry.CART_TABLES


def test_the_lists_by_source():
    assert registry.DIMENSION_TABLES == ("gold_date_dim", "gold_time_dim", "gold_channel_dim", "gold_location_dim",
                                         "gold_product_dim", "gold_customer_dim")
    assert set(registry.WALK_TABLES) == {"gold_sales_fact", "gold_inventory_fact", "gold_inventory_movement_fact",
                                         "gold_stockout_events", "gold_demand_forecast_fact", "gold_size_fit_bridge",
                                         "gold_anomaly_label"}
    assert set(registry.CART_TABLES) == {"gold_cart_abandonment_fact", "gold_customer_event_fact"}
    assert registry.DERIVED_TABLES == (AFFINITY_TABLE,)


def test_parents_are_written_before_their_children_and_the_aggregate_after_what_it_reads():
    position = {t: i for i, t in enumerate(registry.WRITTEN_TABLES)}
    for table in registry.WRITTEN_TABLES:
        assert all(position[key.table] < position[table] for key in load_contract(table).foreign_keys), table
    assert all(position[t] < position[AFFINITY_TABLE] for t in READS)


def test_the_dimension_pipeline_builds_exactly_the_dimension_contracts_in_order():
    config, _ = tiny_dimensions()
    assert tuple(build_dimensions(config, ETL)) == registry.DIMENSION_TABLES


@pytest.mark.parametrize("table", registry.FACT_TABLES)
def test_each_simulated_table_has_its_module(table):
    produce = registry.producer(table)
    assert produce.__module__ == f"retail_synth.tables.{table.removeprefix('gold_')}"


@pytest.mark.parametrize("table", (*registry.DIMENSION_TABLES, *registry.DERIVED_TABLES))
def test_other_tables_have_no_module_producer(table):
    with pytest.raises(ValueError, match=r"not by a retail_synth\.tables module"):
        registry.producer(table)


@pytest.mark.parametrize("table", registry.FACT_TABLES)
def test_batches_match_the_contract_and_the_size_limit(table):
    settings = ANOMALY_HEAVY if table == "gold_anomaly_label" else ()     # normal-ops injects no anomaly
    if table in registry.CART_TABLES:
        world, decisions = tiny_decisions()
        inputs = decision_batches(decisions)
    else:
        world, block = tiny_block(*settings)
        inputs = [block]
    batches = [b for part in inputs for b in registry.formatter(table, world)(part, ETL, 250)]
    assert sum(b.num_rows for b in batches) == tiny_table(table, *settings).num_rows > 0
    for batch in batches:
        assert batch.schema.equals(arrow_schema(table)) and batch.num_rows <= 250


@pytest.mark.parametrize("table", registry.WALK_TABLES)
def test_block_boundaries_and_batch_sizes_change_no_row(table):
    world = tiny_world()
    split = formatted(table, world, walked_in_blocks(world, 23), batch_rows=333)
    assert all(b.num_rows <= 333 for b in split.to_batches())
    whole = tiny_table(table)
    order = [(c, "ascending") for c in whole.column_names]        # the bridge has no key: compare sorted rows
    assert whole.sort_by(order).equals(split.sort_by(order))
