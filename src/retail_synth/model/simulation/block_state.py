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
import pyarrow as pa
import pyarrow.compute as pc

# the future events a state carries, each a dict of equally long int64 (or bool) arrays
ARRIVAL_FIELDS = ("day", "position", "units", "held_back")        # supplier receipts due on `day` (held_back: moved once)
RESTOCK_FIELDS = ("day", "position", "units")                     # returned units going back on stock on `day`
LATE_FIELDS = ("position", "due_day", "arrival_day", "units")     # late receipts still travelling (their labels)
PENDING_FIELDS = ("cart", "product", "low")    # a cart whose recovery order comes later, once per product of the block
# --- returned sale lines (their 'return' movements are written by the run that restocks them) ---
RETURN_FIELDS = ("order_day", "order", "line", "position", "units", "restock_day")  # the sale line (its day, order,
#                                 line), its selling position, the units going back on stock on restock_day


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
    pending: dict                  # PENDING_FIELDS of the carts abandoned before `day` whose recovery order comes
    #                                later (low: the pooled flag they were decided with), sorted by (cart, product)
    returns: dict                  # RETURN_FIELDS of the horizon sale lines returned before `day` that restock on or
    #                                after it (`restocks` is their units by day and position), sorted by (order_day,
    #                                order, line)

    def pending_carts(self) -> tuple[np.ndarray, np.ndarray]:
        """(sorted ids, low flags) of the pending carts."""
        cart, first = np.unique(self.pending["cart"], return_index=True)
        return cart, self.pending["low"][first]

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


# BlockStates as rows (what the Spark layer stores): one table whose rows are keyed by product and location
# index, so the states of any blocks restore the state of any other blocks of the same catalogue
STATE_SCHEMA = pa.schema(
    [
        pa.field("kind", pa.string(), nullable=False),   # position | arrival | restock | late | cart | return
        ("day", pa.int32()),            # position: the day the next walk starts at; arrival, restock: the day;
        #                                 late: the arrival day; cart: NULL
        ("product", pa.int32()),        # product index (cart: a product of the cart's lines)
        ("location", pa.int32()),       # location index (restock: the selling location); cart: NULL
        ("units", pa.int32()),          # arrival, restock, late
        ("due_day", pa.int32()),        # late: the day the receipt was due
        ("held_back", pa.bool_()),      # arrival: held back once already
        ("on_hand", pa.int64()),        # position ...
        ("in_transit", pa.int64()),
        ("hold_until", pa.int32()),
        ("safety", pa.float64()),
        ("last_receipt_day", pa.int32()),
        ("episode_start", pa.int32()),
        ("lost_attempts", pa.int64()),
        ("lost_quantity", pa.int64()),
        ("lost_revenue", pa.float64()),  # unrounded
        ("requested_first_day", pa.int32()),
        ("requested", pa.list_(pa.int32())),  # position: units requested from requested_first_day to day - 1
        ("cart", pa.int64()),           # cart
        ("low", pa.bool_()),            # cart
        # --- return: a returned sale line restocked on `day` at product, location (the selling location), `units` ---
        ("order_day", pa.int32()),      # return: the sale line's day
        ("order_number", pa.int32()),   # return: its order (0-based number within the day)
        ("line_number", pa.int16()),    # return: its line (0-based)
    ]
)
POSITION_COLUMNS = ("on_hand", "in_transit", "hold_until", "safety", "last_receipt_day", "episode_start",
                    "lost_attempts", "lost_quantity", "lost_revenue")
POSITION_DTYPES = {"safety": np.float64, "lost_revenue": np.float64}


def _rows(kind: str, columns: dict) -> pa.Table:
    """Rows of one kind: `columns` as given, every other column of STATE_SCHEMA NULL."""
    n = len(next(iter(columns.values())))
    arrays = [pa.array(np.full(n, kind), pa.string()) if f.name == "kind" else
              columns[f.name] if isinstance(columns.get(f.name), pa.Array) else
              pa.array(columns[f.name], f.type) if f.name in columns else pa.nulls(n, f.type)
              for f in STATE_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=STATE_SCHEMA)


def to_arrow(state: BlockState) -> pa.Table:
    """The state as rows of STATE_SCHEMA (from_arrow reads them back, for these products or any other blocks)."""
    m, lo, n_pos = state.n_locations, state.product_lo, state.n_positions
    product, location = lo + np.arange(n_pos) // m, np.arange(n_pos) % m
    window = state.requested.shape[0]
    requested = pa.ListArray.from_arrays(pa.array(np.arange(n_pos + 1) * window, pa.int32()),
                                         pa.array(state.requested.T.reshape(-1), pa.int32()))

    def keyed(events: dict) -> dict:
        return {"product": lo + events["position"] // m, "location": events["position"] % m}

    late = state.late_receipts
    return pa.concat_tables([
        _rows("position", {"day": np.full(n_pos, state.day), "product": product, "location": location,
                           **{name: getattr(state, name) for name in POSITION_COLUMNS},
                           "requested_first_day": np.full(n_pos, state.requested_first_day), "requested": requested}),
        _rows("arrival", {**keyed(state.arrivals), "day": state.arrivals["day"], "units": state.arrivals["units"],
                          "held_back": state.arrivals["held_back"]}),
        _rows("restock", {**keyed(state.restocks), "day": state.restocks["day"], "units": state.restocks["units"]}),
        _rows("late", {**keyed(late), "day": late["arrival_day"], "due_day": late["due_day"], "units": late["units"]}),
        _rows("cart", {"cart": state.pending["cart"], "product": state.pending["product"], "low": state.pending["low"]}),
        _rows("return", {**keyed(state.returns), "day": state.returns["restock_day"], "units": state.returns["units"],
                         "order_day": state.returns["order_day"], "order_number": state.returns["order"],
                         "line_number": state.returns["line"]}),
    ])


def from_arrow(table: pa.Table, product_lo: int, product_hi: int, n_locations: int) -> BlockState:
    """The state of products product_lo .. product_hi - 1 from STATE_SCHEMA rows (of these or any other blocks)."""
    mine = table.filter(pc.and_(pc.greater_equal(table["product"], product_lo), pc.less(table["product"], product_hi)))
    kinds = {kind: mine.filter(pc.equal(mine["kind"], kind))
             for kind in ("position", "arrival", "restock", "late", "cart", "return")}
    rows = kinds["position"]
    position = _position(rows, product_lo, n_locations)
    n_pos = (product_hi - product_lo) * n_locations
    if not np.array_equal(np.sort(position), np.arange(n_pos)):
        raise ValueError(f"the state rows do not hold every position of products {product_lo} .. {product_hi - 1}")
    order = np.argsort(position)
    day, first = (np.unique(_ints(rows, name)) for name in ("day", "requested_first_day"))
    if len(day) != 1 or len(first) != 1:
        raise ValueError("the state rows of the block end on different days")
    window = int(day[0] - first[0])
    requested = pc.list_flatten(rows["requested"].take(pa.array(order))).to_numpy(zero_copy_only=False)
    return BlockState(
        day=int(day[0]), product_lo=product_lo, product_hi=product_hi, n_locations=n_locations,
        **{name: _ints(rows, name, POSITION_DTYPES.get(name, np.int64))[order] for name in POSITION_COLUMNS},
        requested_first_day=int(first[0]),
        requested=requested.astype(np.int32).reshape(n_pos, window).T.copy(),
        arrivals=_events(kinds["arrival"], product_lo, n_locations, ARRIVAL_FIELDS, ("day", "position"),
                         day="day", units="units", held_back="held_back"),
        restocks=_events(kinds["restock"], product_lo, n_locations, RESTOCK_FIELDS, ("day", "position"),
                         day="day", units="units"),
        late_receipts=_events(kinds["late"], product_lo, n_locations, LATE_FIELDS, ("due_day", "position"),
                              due_day="due_day", arrival_day="day", units="units"),
        pending=_events(kinds["cart"], product_lo, n_locations, PENDING_FIELDS, ("cart", "product"),
                        cart="cart", product="product", low="low"),
        returns=_events(kinds["return"], product_lo, n_locations, RETURN_FIELDS, ("order_day", "order", "line"),
                        order_day="order_day", order="order_number", line="line_number", units="units",
                        restock_day="day"),
    )


def _ints(rows: pa.Table, name: str, dtype: type = np.int64) -> np.ndarray:
    return rows[name].to_numpy(zero_copy_only=False).astype(dtype)


def _position(rows: pa.Table, product_lo: int, n_locations: int) -> np.ndarray:
    return (_ints(rows, "product") - product_lo) * n_locations + _ints(rows, "location")


def _events(rows: pa.Table, product_lo: int, n_locations: int, names: tuple[str, ...], sort: tuple[str, ...],
            **columns: str) -> dict:
    """{name: column} of event rows in the order of `names` (position: from product and location), sorted by `sort`."""
    values = {name: rows[column].to_numpy(zero_copy_only=False) for name, column in columns.items()}
    values = {name: v if v.dtype == bool else v.astype(np.int64) for name, v in values.items()}
    if "position" in names:
        values["position"] = _position(rows, product_lo, n_locations)
    order = np.lexsort(tuple(values[name] for name in reversed(sort)))
    return {name: values[name][order] for name in names}
