"""Every run writes `_retail_synth_state`: the end state of each block's walk, as a Spark-free walk ends it."""

import numpy as np
import pyarrow as pa
import pytest

from retail_synth.model.simulation.block_state import from_arrow, to_arrow
from retail_synth.model.simulation.walk import product_blocks, walk_blocks
from retail_synth.model.simulation.world import build_world
from retail_synth.spark.delta_tables import table_run_id
from retail_synth.spark.dimension_tables import build_dimensions
from retail_synth.spark.run_journal import RunJournal
from retail_synth.spark.state_table import (
    PENDING_TABLE,
    STATE_SPARK_SCHEMA,
    STATE_TABLE,
    read_block_states,
    state_last_day,
)
from retail_synth.spec.configuration import resolve
from tests.support.simulated_worlds import ETL_TIMESTAMP, catalogue_blocks


@pytest.fixture(scope="module")
def walked_states():
    """(world, blocks, end states) of tiny_run's configuration walked without Spark in blocks of the run's size."""
    config = resolve(preset="tiny", seed=7)
    world = build_world(config, build_dimensions(config, ETL_TIMESTAMP), config.seed)
    blocks = product_blocks(config.products.product_count, config.output.products_per_block)
    return world, blocks, [r.end_state for r in walk_blocks(world, blocks, end_states=True)]


def test_a_run_writes_its_end_state_with_the_state_schema_and_the_run_id(spark, tiny_run):
    state = tiny_run.read(spark, STATE_TABLE)
    assert [(f.name, f.dataType) for f in state.schema] == [(f.name, f.dataType) for f in STATE_SPARK_SCHEMA]
    assert state.where("kind IS NULL").count() == 0
    gold_run = table_run_id(spark, tiny_run, "gold_sales_fact")
    assert table_run_id(spark, tiny_run, STATE_TABLE) == gold_run
    assert state_last_day(spark, tiny_run) == resolve(preset="tiny", seed=7).simulated_days - 1
    # journalled like a gold table, but not one of the run's tables (what validate, report and export read)
    run = RunJournal(spark, tiny_run).last()
    assert run.run_id == gold_run and STATE_TABLE in run.prior_versions
    assert STATE_TABLE not in [t["table"] for t in run.tables]


def test_a_run_writes_the_carts_whose_recovery_comes_after_its_last_day(spark, tiny_run, walked_states):
    """`_retail_synth_pending_carts` holds exactly the carts the walk's end states list as pending, one row each."""
    world, _, expected = walked_states
    pending = tiny_run.read(spark, PENDING_TABLE).toArrow()
    carried = np.unique(np.concatenate([e.pending["cart"] for e in expected]))
    assert len(carried) > 0 and np.array_equal(np.sort(pending["cart"].to_numpy()), carried)
    assert state_last_day(spark, tiny_run, PENDING_TABLE) == world.n_days - 1
    assert table_run_id(spark, tiny_run, PENDING_TABLE) == table_run_id(spark, tiny_run, STATE_TABLE)
    assert PENDING_TABLE in RunJournal(spark, tiny_run).last().prior_versions


def test_read_per_block_the_state_equals_the_end_state_of_a_walk_without_spark(spark, tiny_run, walked_states):
    world, blocks, expected = walked_states
    read = read_block_states(spark, tiny_run, blocks, world.n_locations)
    assert [r.equals(e) for r, e in zip(read, expected, strict=True)] == [[]] * len(blocks)
    assert expected[0].day == world.n_days and any(len(e.pending["cart"]) for e in expected)


def test_any_block_size_reads_the_same_positions(spark, tiny_run, walked_states):
    world, blocks, expected = walked_states
    sevens = catalogue_blocks(world, 7)
    assert [hi - lo for lo, hi in sevens] != [hi - lo for lo, hi in blocks]
    read = read_block_states(spark, tiny_run, sevens, world.n_locations)
    rows = pa.concat_tables([to_arrow(e) for e in expected])
    assert [r.equals(from_arrow(rows, lo, hi, world.n_locations)) for r, (lo, hi) in zip(read, sevens, strict=True)] \
        == [[]] * len(sevens)
    for name in ("on_hand", "in_transit", "safety", "episode_start", "lost_revenue"):
        assert np.array_equal(np.concatenate([getattr(r, name) for r in read]),
                              np.concatenate([getattr(e, name) for e in expected])), name
