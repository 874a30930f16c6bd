"""The end-of-day state of one product block: what a walk resumes from instead of the opening stock.

A walk that stops after day d - 1 and one that resumes at day d from its
BlockState walk exactly the days of one uninterrupted walk. Everything still
to come (receipts on their way, return restocks, late deliveries, recovery
orders) is keyed by absolute simulation day, never by a ring row, so a walk
resumes it in rings of its own size. Random draws need no state: they are
keyed by (seed, entity, day) and drawn again.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

# the future events a state carries, each a dict of equally long int64 (or bool) arrays
ARRIVAL_FIELDS = ("day", "position", "units", "held_back")        # supplier receipts due on `day` (held_back: moved once)
RESTOCK_FIELDS = ("day", "position", "units")                     # returned units going back on stock on `day`
LATE_FIELDS = ("position", "due_day", "arrival_day", "units")     # late receipts still travelling (their labels)


@dataclass
class BlockState:
    """The state of positions product_lo .. product_hi - 1 (position = product offset * n_locations + location)
    at the end of day `day - 1`: the next walk starts at `day`."""

    day: int                       # simulation day the next walk starts at
    product_lo: int
    product_hi: int
    n_locations: int
    on_hand: np.ndarray            # int64 [position]
    in_transit: np.ndarray         # int64 [position] ordered, not yet received: the units of `arrivals`
    hold_until: np.ndarray         # int64 [position] day a held order of a slow mover goes out (-1: none)
    safety: np.ndarray             # float64 [position] the stockout controller's safety offset
    last_receipt_day: np.ndarray   # int64 [position] last day a receipt arrived (-1: none yet)
    requested_first_day: int       # simulation day of the first row of `requested`
    requested: np.ndarray          # int32 [day - requested_first_day, position] units requested at the first node asked
    episode_start: np.ndarray      # int64 [position] first day of the stockout running through day - 1 (-1: in stock)
    lost_attempts: np.ndarray      # int64 [position] requests that got nothing in that stockout so far
    lost_quantity: np.ndarray      # int64 [position] their units
    lost_revenue: np.ndarray       # float64 [position] their units at list price, summed in occurrence order, unrounded
    arrivals: dict                 # ARRIVAL_FIELDS, sorted by (day, position)
    restocks: dict                 # RESTOCK_FIELDS, sorted by (day, position)
    late_receipts: dict            # LATE_FIELDS of the receipts made late that arrive on or after `day`
    pending_cart: np.ndarray       # int64 sorted ids of carts abandoned before `day` whose recovery order comes later
    pending_low: np.ndarray        # bool the pooled low flag those carts were decided with

    @property
    def n_positions(self) -> int:
        return len(self.on_hand)

    def equals(self, other: BlockState) -> list[str]:
        """The names of the fields that differ from `other` (empty: the same state)."""
        differ = []
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, dict):
                differ += [f"{f.name}.{k}" for k in a if not np.array_equal(a[k], b[k])]
            elif not np.array_equal(a, b):
                differ.append(f.name)
        return differ


def future_events(ring: np.ndarray, first_day: int, names: tuple[str, ...], **also: np.ndarray) -> dict:
    """The non-empty cells of a ring whose row `day % len(ring)` holds day `day` >= first_day, by (day, position).

    `also` are rings of the same shape whose cells are reported beside the units (held_back).
    """
    rows = len(ring)
    day_offset, position = np.nonzero(ring[(first_day + np.arange(rows)) % rows])
    order = np.lexsort((position, day_offset))
    day_offset, position = day_offset[order], position[order]
    ring_row = (first_day + day_offset) % rows
    columns = {"day": first_day + day_offset.astype(np.int64), "position": position.astype(np.int64),
               "units": ring[ring_row, position].astype(np.int64)}
    columns.update({name: values[ring_row, position] for name, values in also.items()})
    return {name: columns[name] for name in names}


def ring_rows(events: dict, first_day: int, least: int) -> int:
    """Rows a ring needs to hold `events` (days from first_day on) and anything `least` rows hold."""
    return max(least, int(events["day"].max(initial=first_day - 1)) - first_day + 1)
