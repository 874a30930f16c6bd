"""A run continued from its BlockStates writes, table by table, the rows of one run over all its days.

For the walk tables formatted here, rows(walk [0, n)) == rows(walk [0, k))
(+) rows(walk [k, n) resumed from the state at k), and so on for more cuts,
where (+) is what an extend does to the target (R3 and R4 of
design/incremental-runs.md):
  * gold_stockout_events: a row of the later part with the stockout_id of a
    row already written replaces it (MERGE); that row was open (the episode
    ran through the earlier part's last day) and the later part continues it;
  * every other table: the later part's rows are appended, and no key is
    written twice.
Cuts: in the warm-up, on the first horizon day, inside the outage, inside the
forecast window (tiny's last 14 days), on the last day, and two cuts at once;
the catalogue walked as one block and as blocks of 7.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from retail_synth.model.simulation.forecast import forecast_windows
from retail_synth.spec.contracts import arrow_schema, load_contract
from retail_synth.tables import registry
from tests.model.simulation.test_walk_resume import LAYOUTS, one_shot, split_walk
from tests.support.simulated_worlds import ETL_TIMESTAMP

TABLES = ("gold_inventory_fact", "gold_stockout_events", "gold_sales_fact", "gold_size_fit_bridge",
          "gold_demand_forecast_fact")
MERGED = {"gold_stockout_events": "stockout_end_date_key"}     # table -> the column NULL on a row a later run replaces
BATCH_ROWS = 1000          # several batches a block, so the formatters' carries across batches are crossed too
# tiny walks days 0..74 and writes 45..74, forecasts 61..74; anomaly-heavy's outage covers days 53..66
CUTS = {"normal-ops": [(30,), (45,), (58,), (66,), (74,), (50, 70)],
        "anomaly-heavy": [(55,), (60,), (70,), (53, 66)]}
LAYOUT_NAMES = ("one block", "blocks of 7")


@lru_cache(maxsize=16)
def parts_of(world_name: str, layout: str, cuts: tuple[int, ...]) -> list:
    world, blocks, _ = one_shot(world_name, LAYOUTS[layout])
    return split_walk(world, blocks, cuts)


@lru_cache(maxsize=32)
def formatter(world_name: str, table: str):
    world, _, _ = one_shot(world_name, LAYOUTS["one block"])
    return registry.formatter(table, world)


def rows(world_name: str, table: str, results) -> pa.Table:
    """The table's rows of the block results `results`, sorted by its primary key (every column without one)."""
    write = formatter(world_name, table)
    batches = [batch for result in results for batch in write(result, ETL_TIMESTAMP, BATCH_ROWS)]
    written = pa.Table.from_batches(batches, schema=arrow_schema(table))
    key = load_contract(table).primary_key or tuple(written.column_names)
    return written.sort_by([(name, "ascending") for name in key])


def continued(table: str, parts: list[pa.Table]) -> pa.Table:
    """What a target holds after the first part is written and each later one is written as an extend writes it."""
    key = load_contract(table).primary_key
    target = parts[0]
    for part in parts[1:]:
        if table in MERGED:
            replaced = pc.is_in(target[key[0]], value_set=part[key[0]])
            assert target.filter(replaced)[MERGED[table]].null_count == (pc.sum(replaced).as_py() or 0)
            target = target.filter(pc.invert(replaced))
        elif key:
            assert not pc.any(pc.is_in(part[key[0]] if len(key) == 1 else _joined_key(part, key),
                                       value_set=target[key[0]] if len(key) == 1 else _joined_key(target, key))).as_py()
        target = pa.concat_tables([target, part])
    return target.sort_by([(name, "ascending") for name in key or target.column_names])


def _joined_key(table: pa.Table, key: tuple[str, ...]) -> pa.Array:
    return pc.binary_join_element_wise(*(pc.cast(table[name], pa.string()) for name in key), "|")


def differing_columns(expected: pa.Table, got: pa.Table) -> list[str]:
    if expected.num_rows != got.num_rows:
        return [f"rows {expected.num_rows} != {got.num_rows}"]
    return [name for name in expected.column_names if not expected[name].equals(got[name])]


@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize(("world_name", "cuts"), [(name, cuts) for name, all_cuts in CUTS.items() for cuts in all_cuts])
def test_a_continued_run_writes_the_rows_of_one_run(world_name, cuts, layout):
    _, _, one = one_shot(world_name, LAYOUTS[layout])
    parts = parts_of(world_name, layout, cuts)
    found = {}
    for table in TABLES:
        expected = rows(world_name, table, one)
        got = continued(table, [rows(world_name, table, part) for part in parts])
        found[table] = differing_columns(expected, got)
    assert found == {table: [] for table in TABLES}


def test_the_cuts_cross_what_the_tables_carry_over():
    """Somewhere a later part continues an open stockout (after the warm-up: its run length and sums carry over),
    writes days of a forecast window that began before it, and finds the last receipt day only in its state."""
    world, _, _ = one_shot("anomaly-heavy", LAYOUTS["one block"])
    continued_episode = inside_window = receipt_from_state = False
    windows = forecast_windows(world.plan_days, world.n_days - world.warmup_days, world.config.forecast.forecast_days)
    for cuts in CUTS["anomaly-heavy"]:
        for (part,) in parts_of("anomaly-heavy", "one block", cuts)[1:]:
            state, first = part.start_state, part.first_series_day - world.warmup_days
            continued_episode |= bool((state.episode_start[part.is_stockout[0]] >= 0).any())
            inside_window |= any(h0 < first < h0 + length for h0, length in windows)
            no_receipt_yet = part.receipts.max(axis=0, initial=0) == 0
            receipt_from_state |= bool((no_receipt_yet & (state.last_receipt_day >= 0)).any())
    assert continued_episode and inside_window and receipt_from_state


def test_a_continued_stockout_replaces_the_open_row():
    """The R3 replacement really happens, both ways: the second part rewrites rows the first part wrote open, with
    the episode going on, or closed on the day before the cut (back in stock on the cut day)."""
    parts = parts_of("anomaly-heavy", "one block", (60,))
    first, second = (rows("anomaly-heavy", "gold_stockout_events", part) for part in parts)
    before = first.filter(pc.is_in(first["stockout_id"], value_set=second["stockout_id"]))
    after = second.filter(pc.is_in(second["stockout_id"], value_set=first["stockout_id"]))
    assert before["stockout_end_date_key"].null_count == before.num_rows > 0
    assert after["stockout_id"] == before["stockout_id"]
    growth = after["stockout_duration_days"].to_numpy() - before["stockout_duration_days"].to_numpy()
    assert (growth >= 0).all() and (growth > 0).any() and (growth == 0).any()
    # a row that did not grow is the episode closed on the day before the cut: its sums are the carried ones
    same = growth == 0
    for name in ("lost_sales_attempts", "lost_sales_quantity", "lost_sales_revenue"):
        assert np.array_equal(after[name].to_numpy()[same], before[name].to_numpy()[same])
    last_written = pc.max(rows("anomaly-heavy", "gold_inventory_fact", parts[0])["date_key"]).as_py()
    assert after["stockout_end_date_key"].filter(pa.array(same)).to_pylist() == [last_written] * int(same.sum())
