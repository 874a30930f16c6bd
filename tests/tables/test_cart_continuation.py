"""The cart tables of a run continued from a state: one run's rows == the rows of its parts, part after part.

A walk over [0, n) is cut at days k (tests/model/simulation/test_walk_resume.py
proves each part walks what the one-shot does). Each part folds the cart
lines of all its blocks with the decision rows the part before carried
(carts.pending_decisions: carts abandoned before k whose recovery order
comes on or after k), and formats both cart tables from its first day
(registry.formatter(table, world, first_day)). Then, sorted by the
contract's primary key:
  * gold_cart_abandonment_fact: the one-shot's rows are part 1's rows, each
    later part's rows replacing those of the same abandonment_id (R3: a cart
    abandoned before k and recovered after it is written by the part before
    as not recovered, and written again, recovered, by the part of its
    recovery); only pending carts are written again;
  * gold_customer_event_fact: the one-shot's rows are the parts' rows, no
    event written twice. A cart's cart and browse sessions are written by the
    part of the cart's day (a browse session may be dated before that part's
    first day), a recovery session by the part of its recovery day.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from retail_synth.model.simulation.carts import (
    CART_LINE_SCHEMA,
    PENDING_DECISION_SCHEMA,
    decision_table,
    pending_decisions,
)
from retail_synth.spec.contracts import arrow_schema, load_contract
from retail_synth.tables.keys import cart_ids
from retail_synth.tables.registry import CART_TABLES, formatter
from tests.model.simulation.test_walk_resume import one_shot, split_walk
from tests.tables.tiny_tables import ETL, decision_batches

ABANDONMENT, EVENTS = "gold_cart_abandonment_fact", "gold_customer_event_fact"
LAYOUTS = {"one block": (0, 0), "blocks of 7": (7, 0)}
# tiny walks days 0..74 and writes 45..74; recovery orders come 1..7 days after abandonment
CUTS = {"normal-ops": [(30,), (45,), (58,), (50, 62)], "anomaly-heavy": [(55,), (53, 66)]}


def lines_of(results) -> pa.Table:
    """The cart lines of every block of one walk."""
    return pa.concat_tables(pa.Table.from_pydict(r.cart_lines, schema=CART_LINE_SCHEMA) for r in results)


def cart_tables(world, results, carried: pa.Table | None) -> tuple[dict[str, pa.Table], pa.Table, pa.Table]:
    """({table: rows}, decision table, the decision rows it leaves pending) of one walk (a part or the one-shot)."""
    first_day, stop_day = results[0].first_day, results[0].stop_day
    decisions = decision_table(lines_of(results), carried)
    tables = {table: formatted(table, world, first_day, decisions) for table in CART_TABLES}
    return tables, decisions, pending_decisions(decisions, stop_day, world.seed, world.config.carts)


def formatted(table: str, world, first_day: int, decisions: pa.Table) -> pa.Table:
    """`table`'s rows from a decision table, as a run whose first simulated day is `first_day` writes them."""
    produce = formatter(table, world, first_day)
    return pa.Table.from_batches([b for batch in decision_batches(decisions) for b in produce(batch, ETL, 1 << 30)],
                                 schema=arrow_schema(table))


@lru_cache(maxsize=16)
def continued(world_name: str, layout: str, cuts: tuple[int, ...]):
    """(world, the one-shot's cart_tables, each part's (tables, carried rows, pending carts of its states))."""
    world, blocks, one = one_shot(world_name, LAYOUTS[layout])
    parts, carried = [], None
    for results in split_walk(world, blocks, cuts):
        tables, _, carried = cart_tables(world, results, carried)
        pending = np.unique(np.concatenate([r.end_state.pending["cart"] for r in results]))
        parts.append((tables, carried, pending))
    return world, cart_tables(world, one, None), parts


def key_of(table: str) -> str:
    (key,) = load_contract(table).primary_key
    return key


def by_key(rows: pa.Table, key: str) -> pa.Table:
    return rows.sort_by(key).combine_chunks()


def written_over(earlier: pa.Table, later: pa.Table, key: str) -> pa.Table:
    """`earlier` rows with those of an id `later` has replaced by later's, plus later's other rows."""
    return pa.concat_tables([earlier.filter(pc.invert(pc.is_in(earlier[key], later[key]))), later])


def row_differences(expected: pa.Table, got: pa.Table, key: str) -> list[str]:
    """What differs between two row sets of one table (empty: the same rows)."""
    expected, got = by_key(expected, key), by_key(got, key)
    if expected.equals(got):
        return []
    want, have = set(expected[key].to_pylist()), set(got[key].to_pylist())
    if want != have or expected.num_rows != got.num_rows:
        return [(f"{len(want - have)} missing, {len(have - want)} extra, rows {got.num_rows} != {expected.num_rows}: "
                 f"{sorted(want - have)[:3]} {sorted(have - want)[:3]}")]
    return [name for name in expected.column_names if not expected[name].equals(got[name])]


def pending_ids(world, carried: pa.Table) -> set[str]:
    """The cart ids (CART-<date_key>-<order>) of carried decision rows."""
    day = carried["day"].to_numpy(zero_copy_only=False)
    return set(cart_ids(world.date_key, day, carried["order"].to_numpy(zero_copy_only=False)).to_pylist())


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("world_name", "cuts"), [(name, cuts) for name, all_cuts in CUTS.items() for cuts in all_cuts])
def test_the_parts_write_the_one_shots_cart_tables(world_name, cuts, layout):
    world, (one, _, _), parts = continued(world_name, layout, cuts)
    abandonment = parts[0][0][ABANDONMENT]
    for (tables, _, _), (_, carried, _) in zip(parts[1:], parts[:-1], strict=True):
        rows, key = tables[ABANDONMENT], key_of(ABANDONMENT)
        again = rows.filter(pc.is_in(rows[key], abandonment[key]))
        assert set(again["cart_id"].to_pylist()) <= pending_ids(world, carried)     # only pending carts are rewritten
        abandonment = written_over(abandonment, rows, key)
    assert row_differences(one[ABANDONMENT], abandonment, key_of(ABANDONMENT)) == []

    events = pa.concat_tables([tables[EVENTS] for tables, _, _ in parts])
    key = key_of(EVENTS)
    assert pc.count_distinct(events[key]).as_py() == events.num_rows                # no event written twice
    assert row_differences(one[EVENTS], events, key) == []


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("world_name", "cuts"), [(name, cuts) for name, all_cuts in CUTS.items() for cuts in all_cuts])
def test_the_carried_decisions_are_the_carts_the_states_leave_pending(world_name, cuts, layout):
    """pending_decisions selects from the decision table exactly the carts the walk's states carry, with the
    fields known at abandonment (carts still pending after the next part are carried on again), and the last
    part leaves the one-shot's."""
    _, (_, decisions, left), parts = continued(world_name, layout, cuts)
    for _, carried, pending in parts:
        assert carried.schema == PENDING_DECISION_SCHEMA
        assert np.array_equal(carried["cart"].to_numpy(), pending)
        known = decisions.filter(pc.is_in(decisions["cart"], carried["cart"])).select(PENDING_DECISION_SCHEMA.names)
        assert known.equals(carried)         # as the one-shot decided them
    assert parts[-1][1].equals(left)         # what the last part leaves is what the one-shot leaves


def test_the_cuts_rewrite_recovered_carts_and_write_browse_sessions_before_a_parts_first_day():
    """The cuts above are not vacuous: a part rewrites carts of the part before as recovered, writes their
    recovery sessions, and writes browse sessions of its own carts dated before its first day."""
    world, _, parts = continued("normal-ops", "one block", (58,))
    (first, carried, _), (second, _, _) = parts
    key = key_of(ABANDONMENT)
    again = second[ABANDONMENT].filter(pc.is_in(second[ABANDONMENT][key], first[ABANDONMENT][key]))
    assert pc.any(again["is_recovered"]).as_py()
    assert not pc.any(first[ABANDONMENT].filter(pc.is_in(first[ABANDONMENT][key], again[key]))["is_recovered"]).as_py()
    events, cut_key = second[EVENTS], int(world.date_key[58])
    # a recovery session's entry (the restored cart's page) is labelled with the cart_id
    entries = events.filter(pc.and_(pc.ends_with(events["session_id"], "-R"), pc.equal(events["event_type"], "page_view")))
    assert set(entries["event_label"].to_pylist()) & pending_ids(world, carried)
    browse = events.filter(pc.match_substring(events["session_id"], "-B"))
    assert pc.any(pc.less(browse["date_key"], cut_key)).as_py()


def test_a_fold_without_carried_rows_is_todays_decision_table():
    world, _, one = one_shot("normal-ops", LAYOUTS["one block"])
    lines = lines_of(one)
    folded = decision_table(lines)
    assert decision_table(lines, folded.slice(0, 0).select(PENDING_DECISION_SCHEMA.names)).equals(folded)
    assert pending_decisions(folded, world.n_days, world.seed, world.config.carts).num_rows > 0   # past the end
