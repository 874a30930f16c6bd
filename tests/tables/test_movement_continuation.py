"""Movements and anomaly labels of a run continued from its state: rows(one-shot) == rows(part 1) + rows(part 2) ...

Each part is walked from the state the part before ended with, read back from
its STATE_SCHEMA rows (what `extend` restores), and formatted on its own. The
cuts stop in the warm-up, on the first horizon day, inside the outage, with
returns waiting to restock (a line sold in one part restocked in the next, or
two parts on) and with late receipts travelling (a receipt due in one part
arriving in the next: its purchase order and its label).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pytest

from retail_synth.model.simulation.block_state import from_arrow, to_arrow
from retail_synth.spec.contracts import load_contract
from retail_synth.tables import anomaly_label, inventory_movement_fact
from tests.model.simulation.test_walk_resume import one_shot, walked
from tests.tables.tiny_tables import formatted

TABLES = (inventory_movement_fact.TABLE, anomaly_label.TABLE)
LAYOUTS = {"one block": (0, 0), "blocks of 7": (7, 0)}
# tiny walks days 0..74 and writes 45..74; anomaly-heavy's outage covers days 53..66; returns restock 1..3 days on
CUTS = {"normal-ops": [(30,), (45,), (58,), (74,), (50, 62)],
        "anomaly-heavy": [(44,), (45,), (55,), (60,), (53, 66), (60, 61)],
        "late deliveries": [(52,), (64,), (56, 58)]}


def restored(states: list) -> list:
    """The blocks' states as `extend` reads them: from the STATE_SCHEMA rows of every block together."""
    rows = pa.concat_tables([to_arrow(state) for state in states])
    return [from_arrow(rows, s.product_lo, s.product_hi, s.n_locations) for s in states]


@lru_cache(maxsize=32)
def parts_of(world_name: str, layout: str, cuts: tuple[int, ...]) -> list[list]:
    """Each part's block results: [0, cuts[0]), [cuts[0], cuts[1]), ... [cuts[-1], n), each from the state before."""
    world, blocks, _ = one_shot(world_name, LAYOUTS[layout])
    parts, states = [], None
    for stop in [*cuts, None]:
        parts.append(walked(world, blocks, states=states, stop_day=stop, end_states=True))
        states = restored([r.end_state for r in parts[-1]])
    return parts


def rows(table: str, world, results: list) -> pa.Table:
    """`table`'s rows of `results`, without etl_timestamp, sorted by the contract's primary key."""
    written = formatted(table, world, results, batch_rows=97).drop_columns(["etl_timestamp"])
    return written.sort_by([(key, "ascending") for key in load_contract(table).primary_key])


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("world_name", "cuts"), [(name, cuts) for name, all_cuts in CUTS.items() for cuts in all_cuts])
def test_the_parts_of_a_continued_run_write_the_one_shot_rows(world_name, cuts, layout, table):
    world, _, one = one_shot(world_name, LAYOUTS[layout])
    expected = rows(table, world, one)
    written = [rows(table, world, part) for part in parts_of(world_name, layout, cuts)]
    together = pa.concat_tables(written).sort_by([(key, "ascending") for key in load_contract(table).primary_key])
    key = load_contract(table).primary_key[0]
    assert sum(part.num_rows for part in written) == together.num_rows == expected.num_rows, \
        sorted(set(together[key].to_pylist()) ^ set(expected[key].to_pylist()))[:10]
    assert together.equals(expected)


def movements_of(results: list, kind: int) -> list[dict]:
    """Each block's movements of `kind` (inventory_movement_fact.movements)."""
    found = []
    for r in results:
        ev = inventory_movement_fact.movements(r)
        found.append({name: values[ev["kind"] == kind] for name, values in ev.items()})
    return found


def test_the_cuts_carry_returns_and_late_receipts_across_parts():
    """Some part writes the return of a line sold in a part before it (one or two parts on), a receipt whose order
    was due in the part before (a late receipt), and the label of that late receipt; no part writes an opening
    but the one that walks the first horizon day."""
    carried_returns, two_on, late_receipts = 0, 0, 0
    for world_name, all_cuts in CUTS.items():
        for cuts in all_cuts:
            parts = parts_of(world_name, "blocks of 7", cuts)
            for index, part in enumerate(parts):
                first = part[0].first_day
                returned = movements_of(part, inventory_movement_fact.RETURN)
                carried_returns += sum(int((m["line_day"] < first).sum()) for m in returned)
                two_on += sum(int((m["line_day"] < parts[index - 1][0].first_day).sum()) for m in returned) * (index > 1)
                late = [r.start_state.late_receipts for r in part if r.start_state is not None]
                late_receipts += sum(int((s["arrival_day"] < part[0].stop_day).sum()) for s in late)
                openings = sum(len(m["day"]) for m in movements_of(part, inventory_movement_fact.OPENING))
                assert (openings > 0) == (first <= part[0].warmup_days < part[0].stop_day)
    assert carried_returns and two_on and late_receipts


def test_a_states_restocks_are_its_returns_by_day_and_position():
    """The returned lines a state carries are the units its restock ring holds, day by day and position."""
    checked = 0
    for world_name, all_cuts in CUTS.items():
        for cuts in all_cuts:
            for part in parts_of(world_name, "one block", cuts)[:-1]:
                s = part[0].end_state
                n = s.n_positions
                key = s.returns["restock_day"] * n + s.returns["position"]
                cells, units = np.unique(key, return_inverse=True)
                assert np.array_equal(cells, s.restocks["day"] * n + s.restocks["position"])
                assert np.array_equal(np.bincount(units, s.returns["units"]), s.restocks["units"])
                checked += len(cells)
    assert checked
