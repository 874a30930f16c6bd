"""A walk resumed from a BlockState walks exactly what one uninterrupted walk does.

walk [0, n) == walk [0, k) + end_state + walk [k, n), field by field of what
the tables read, for several k: in the warm-up, on the first horizon day,
inside the outage, with returns waiting to restock and with recovery orders
pending. Where a value of a walk's result means "as of its last day", the
split is compared on what both know:
  * an episode still open on day k - 1 is open in the first part and goes on
    in the second, from the sums its state carries (R3 of the horizon audit);
  * `arrivals` past a walk's last day is the ring as that walk left it, so
    the first part's rows past day k are not the one-shot's; the tables read
    `next_arrival` instead, which each day records from the ring as it then
    is, and so is the same split or not (R2);
  * recovery copies of carts abandoned before k that are not recovered are
    never ordered and sell nothing: the resumed walk does not hold them.
"""

from dataclasses import fields, replace
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pytest

from retail_synth.model.simulation.block_state import STATE_SCHEMA, from_arrow, to_arrow
from retail_synth.model.simulation.episodes import Episodes, episodes
from retail_synth.model.simulation.episodes import continued_episodes as resumed_episodes
from retail_synth.model.simulation.walk import walk_blocks
from retail_synth.spec.ids import RECOVERED_ORDER_BASE
from tests.support.simulated_worlds import (
    ANOMALY_HEAVY,
    catalogue_blocks,
    tiny_world,
    walked_by_tasks,
)

HORIZON_SERIES = ("on_hand", "in_transit", "reorder_point", "reorder_quantity", "restocked", "adjusted", "next_arrival")
LOST = ("lost_position", "lost_day", "lost_quantity", "lost_revenue")
STATIC = ("product_lo", "product_hi", "n_locations", "warmup_days", "position_product", "position_location", "lead_time")
# late deliveries at a rate where receipts already held back once are often due again
WORLDS = {"normal-ops": (), "anomaly-heavy": ANOMALY_HEAVY,
          "late deliveries": (*ANOMALY_HEAVY, "anomalies.late_delivery_rate=0.5")}


def walked(world, blocks, tasks=0, **walk):
    """The block results of `blocks` walked in one process (tasks=0) or by `tasks` threads exchanging cart flags."""
    if tasks:
        return walked_by_tasks(world, blocks[0][1] - blocks[0][0], tasks, 7, **walk)[0]
    return list(walk_blocks(world, blocks, **walk))


def split_walk(world, blocks, days, tasks=0):
    """The results of walking [0, days[0]), then [days[0], days[1]), ... [days[-1], n) each from the state before."""
    parts, states = [], None
    for stop in [*days, None]:
        parts.append(walked(world, blocks, tasks, states=states, stop_day=stop, end_states=True))
        states = [r.end_state for r in parts[-1]]
    return parts


def equal(a, b) -> bool:
    return np.array_equal(a, b)


def rows_from(result, name: str, first: int, last: int) -> np.ndarray:
    """The rows of a series of `result` for simulation days first .. last - 1."""
    start = {"arrivals": result.first_day, "requested": result.stop_day - result.series["requested"].days}
    at = start.get(name, result.first_series_day)
    assert first >= at, (name, first, at)
    return getattr(result, name)[first - at:max(first, last) - at]


def differences(one, parts, cuts) -> list[str]:
    """What differs between a one-shot result and the consecutive results `parts` of the same block."""
    world_days = one.stop_day
    bounds = [0, *cuts, world_days]
    found = [name for name in STATIC for part in parts if not equal(getattr(one, name), getattr(part, name))]
    for key in one.sales:
        found += [f"sales.{key}"] * (not equal(one.sales[key], np.concatenate([p.sales[key] for p in parts])))
    for part in ("shrinkage", "late_receipts"):
        found += [f"{part}.{key}" for key in getattr(one, part)
                  if not equal(getattr(one, part)[key], np.concatenate([getattr(p, part)[key] for p in parts]))]
    found += [name for name in LOST if not equal(getattr(one, name), np.concatenate([getattr(p, name) for p in parts]))]
    for p, first, last in zip(parts, bounds[:-1], bounds[1:], strict=True):
        horizon = max(first, one.warmup_days)
        found += [f"{name}[{first}:{last})" for name in HORIZON_SERIES
                  if not equal(rows_from(one, name, horizon, last), rows_from(p, name, horizon, last))]
        found += [f"arrivals[{first}:{last})"] * (not equal(rows_from(one, "arrivals", first, last),
                                                           rows_from(p, "arrivals", first, last)))
        # requested from the first row the part holds: a resumed part starts with the window its state carried
        # (the trailing demand and the forecast history)
        window = p.stop_day - p.series["requested"].days
        found += [f"requested[{window}:{last})"] * (not equal(rows_from(one, "requested", window, last),
                                                             rows_from(p, "requested", window, last)))
        found += [f"cart_lines[{first}:{last})"] * bool(cart_line_differences(one, p, first, last))
    # what is still on its way after the last day: the same ring, whatever walked before
    found += ["arrivals past the end"] * (not equal(one.arrivals[world_days:], parts[-1].arrivals[world_days - cuts[-1]:]))
    found += [f"end_state.{name}" for name in one.end_state.equals(parts[-1].end_state)]
    return found


def cart_line_differences(one, part, first, last) -> list[str]:
    """The one-shot's cart lines of days first .. last - 1 against those of the part that walked them.

    A recovery copy of a cart abandoned before `first` is only held by the
    resumed walk when that cart's recovery was ordered (its state's pending
    carts); the others are never ordered and sell nothing.
    """
    c = one.cart_lines
    cart_day = c["day"] - np.where(c["is_recovery"], c["order"] // RECOVERED_ORDER_BASE, 0)
    keep = (c["day"] >= first) & (c["day"] < last) & ((cart_day >= first) | c["recovery_ordered"])
    return [key for key in c if not equal(c[key][keep], part.cart_lines[key])]


def absolute(e: Episodes, first_row_day: int) -> Episodes:
    """Episodes with start and end as simulation days."""
    return replace(e, start=e.start + first_row_day, end=e.end + first_row_day)


def cut_episodes(one, last: int) -> Episodes:
    """The one-shot's episodes as a walk that stopped before day `last` sees them."""
    rows = max(0, last - one.warmup_days)
    keep = one.lost_day < rows
    return absolute(episodes(one.is_stockout[:rows], *(getattr(one, name)[keep] for name in LOST)), one.warmup_days)


def continued_episodes(part, carried) -> Episodes:
    """A resumed part's episodes: one running on its first day continues the stockout its state carried."""
    shift = part.first_series_day - part.warmup_days
    return resumed_episodes(part.is_stockout, part.lost_position, part.lost_day - shift, part.lost_quantity,
                            part.lost_revenue, part.first_series_day, carried)


def episode_differences(one, parts) -> list[str]:
    """Each part's episodes (continued from its state) against the one-shot's cut where the part stops."""
    found, carried = [], None
    for index, part in enumerate(parts):
        last = part.stop_day
        expected, got = cut_episodes(one, last), continued_episodes(part, carried)
        # the episodes the part writes: those of its days, and those open before it that it closes on its first day
        overlapping = expected.end >= part.first_series_day
        if carried is not None:
            overlapping |= (expected.end == part.first_series_day - 1) & (carried.episode_start[expected.position] >= 0)
        found += [f"{index}.{f.name}" for f in fields(Episodes)
                  if not equal(getattr(expected, f.name)[overlapping], getattr(got, f.name))]
        state, running = part.end_state, expected.position[expected.is_open]
        start = np.full(part.n_positions, -1)
        start[running] = expected.start[expected.is_open]
        found += [f"{index}.end_state.episode_start"] * (not equal(state.episode_start, start))
        for name in ("lost_attempts", "lost_quantity", "lost_revenue"):
            values = np.zeros(part.n_positions, getattr(state, name).dtype)
            values[running] = getattr(expected, name)[expected.is_open]
            found += [f"{index}.end_state.{name}"] * (not equal(getattr(state, name), values))
        carried = state
    return found


@lru_cache(maxsize=8)
def one_shot(world_name: str, layout: tuple[int, int]):
    """(world, blocks, results of one walk over every day) of a world walked as `layout` = (block size, tasks)."""
    world = tiny_world(*WORLDS[world_name])
    size, tasks = layout
    blocks = catalogue_blocks(world, size or world.n_products)
    return world, blocks, walked(world, blocks, tasks, end_states=True)


# (block size: 0 = the whole catalogue, tasks: 0 = one process)
LAYOUTS = {"one block": (0, 0), "blocks of 7": (7, 0), "blocks of 7, 2 tasks": (7, 2)}
# tiny walks days 0..74 and writes 45..74; anomaly-heavy's outage covers days 53..66
CUTS = {"normal-ops": [(30,), (45,), (58,), (74,), (50, 62)], "anomaly-heavy": [(50,), (55,), (60,), (70,), (53, 66)],
        "late deliveries": [(52,), (64,)]}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("world_name", "cuts"), [(name, cuts) for name, all_cuts in CUTS.items() for cuts in all_cuts])
def test_a_walk_resumed_from_its_state_walks_what_one_walk_does(world_name, cuts, layout):
    world, blocks, one = one_shot(world_name, LAYOUTS[layout])
    parts = split_walk(world, blocks, cuts, LAYOUTS[layout][1])
    by_block = [[part[block] for part in parts] for block in range(len(blocks))]
    assert [f"{block}: {d}" for block, block_parts in enumerate(by_block)
            for d in differences(one[block], block_parts, cuts) + episode_differences(one[block], block_parts)] == []


def test_the_cuts_stop_where_the_state_carries_every_kind_of_event():
    """The cuts above stop inside the outage, with receipts held back or late, returns waiting and recoveries pending."""
    world, blocks, _ = one_shot("anomaly-heavy", LAYOUTS["one block"])
    outage = world.disruptions.outage
    states = {k: split_walk(world, blocks, (k,))[0][0].end_state for (k,) in
              [cuts for cuts in CUTS["anomaly-heavy"] if len(cuts) == 1]}
    assert any(outage.covers(k) for k in states)
    assert any(len(s.pending["cart"]) for s in states.values())
    assert any(len(s.restocks["day"]) for s in states.values())
    assert any(len(s.returns["order"]) for s in states.values())
    assert any(s.arrivals["held_back"].any() for s in states.values())
    assert any(len(s.late_receipts["position"]) for s in states.values())
    assert all((s.episode_start >= 0).any() for s in states.values())
    # what is in transit is exactly what the carried arrivals will bring
    assert all(equal(s.in_transit, np.bincount(s.arrivals["position"], s.arrivals["units"], s.n_positions))
               for s in states.values())


@pytest.mark.parametrize("world_name", ["anomaly-heavy", "late deliveries"])
def test_states_as_arrow_rows_restore_the_state_of_any_blocks(world_name):
    """to_arrow / from_arrow: the rows of the blocks of 7 restore each of them, and together the whole catalogue's
    state, from which the one-block walk resumes to the one-shot's rows; and the other way round."""
    world, whole, one = one_shot(world_name, LAYOUTS["one block"])
    sevens, m, carried = catalogue_blocks(world, 7), world.n_locations, []
    for k in (52, 60, 66):
        first = walked(world, whole, stop_day=k, end_states=True)[0]
        state = first.end_state
        states = [r.end_state for r in walked(world, sevens, stop_day=k, end_states=True)]
        tables = [to_arrow(s) for s in states]
        assert all(table.schema == STATE_SCHEMA for table in tables)
        assert [from_arrow(table, s.product_lo, s.product_hi, m).equals(s)
                for table, s in zip(tables, states, strict=True)] == [[]] * len(states)
        assert from_arrow(pa.concat_tables(tables), 0, world.n_products, m).equals(state) == []
        assert [from_arrow(to_arrow(state), s.product_lo, s.product_hi, m).equals(s) for s in states] == [[]] * len(states)
        restored = [from_arrow(pa.concat_tables(tables), 0, world.n_products, m)]
        assert differences(one[0], [first, walked(world, whole, states=restored, end_states=True)[0]], (k,)) == []
        carried.append(len(state.pending["cart"]) * len(state.arrivals["day"]) * len(state.late_receipts["units"])
                       * len(state.returns["line"]))
    assert any(carried)       # some cut carries pending carts, receipts on their way, late receipts and returns at once


# tiny runs to 2024-12-14 (simulation day 74); a run that ends earlier has a World of fewer days
SHORTER_RUNS = {"2024-11-15": 46, "2024-11-30": 61, "2024-12-07": 68}


@pytest.mark.parametrize("layout", ["one block", "blocks of 7, 2 tasks"])
@pytest.mark.parametrize("world_name", ["normal-ops", "anomaly-heavy"])
@pytest.mark.parametrize("end_date", SHORTER_RUNS)
def test_a_shorter_run_ends_in_the_state_the_longer_run_has_that_day(world_name, end_date, layout):
    """What `extend` does: the state a shorter run's World leaves, resumed in the longer run's World, walks the
    rest as one walk of the longer run. Nothing the walk carries may be cut at the shorter World's last day
    (a return restocked after it, a recovery ordered after it)."""
    world, blocks, one = one_shot(world_name, LAYOUTS[layout])
    shorter = tiny_world(*WORLDS[world_name], f"end_date={end_date}")
    stop = SHORTER_RUNS[end_date]
    assert shorter.n_days == stop
    first = walked(shorter, blocks, LAYOUTS[layout][1], end_states=True)
    cut = walked(world, blocks, LAYOUTS[layout][1], stop_day=stop, end_states=True)
    assert [f"{b}: {d}" for b, (a, c) in enumerate(zip(first, cut, strict=True))
            for d in a.end_state.equals(c.end_state)] == []
    rest = walked(world, blocks, LAYOUTS[layout][1], states=[r.end_state for r in first], end_states=True)
    assert [f"{b}: {d}" for b in range(len(blocks)) for d in differences(one[b], [first[b], rest[b]], [stop])] == []
