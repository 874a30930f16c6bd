"""Cart abandonment: every digital order starts as a cart that is checked out or abandoned.

A cart is decided at the start of its day: it is low-inventory when one of
its items has at most `low_inventory_threshold_count` units available at the
node that would ship it (the first of the customer's fulfilment nodes with
stock). Low-inventory carts are abandoned `low_inventory_uplift_rate` more
often. An abandoned cart may be recovered through the email funnel: on its
recovery day its lines are ordered again and go through the same allocation
as any order.

A cart's items sit in several product blocks, so each block's CartBook only
reports which of the day's carts it finds low; the walk pools those reports
of every block before any block decides (walk.walk_blocks). Each block then
decides its carts identically, since the decision is a hash of the cart id
and the pooled flag. Only carts whose draw falls in the uplift band hinge on
that flag (`hinges_on_low`); the others are decided the same either way.
After the walk, every block hands over one row per cart line
(`CartBook.lines`); `decision_table` folds the lines of a cart, from
whichever blocks, into its one row of CART_DECISION_SCHEMA. A run that
stops while recoveries are pending hands their rows to the next run
(`pending_decisions`), whose fold completes them with their recovery.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from retail_synth.model.simulation.demand import (
    ORDER_ATTRIBUTES,
    WalkLines,
    order_attributes,
    order_days,
    recovery_delay,
    recovery_delays,
)
from retail_synth.model.simulation.pricing import sale_amounts
from retail_synth.model.simulation.world import World
from retail_synth.spec import hashing
from retail_synth.spec.run_config import CartParams

CART_DECISION_SCHEMA = pa.schema(
    [
        ("cart", pa.int64()),            # cart id = its original order id
        ("day", pa.int32()),             # simulation day of the cart
        ("order", pa.int32()),           # order number within that day
        ("customer", pa.int32()),        # customer index
        ("channel", pa.int16()),         # channel index
        ("slot", pa.int16()),            # quarter-hour slot
        ("items", pa.int32()),           # lines in the cart
        ("products", pa.list_(pa.int32())),  # product index of each line, in line order
        ("low_items", pa.int32()),       # lines low on inventory when the cart was decided
        ("cart_value", pa.float64()),    # sum of the lines' quantity x selling price of the day
        ("abandoned", pa.bool_()),
        ("checked_out_sold", pa.bool_()),  # not abandoned and at least one unit sold: an order of gold_sales_fact
        ("recovery_ordered", pa.bool_()),
        ("recovery_day", pa.int32()),    # day of the recovering order (-1: none)
        ("recovered", pa.bool_()),       # recovery ordered and at least one unit sold
        ("recovery_revenue", pa.float64()),
    ]
)


def abandons(world: World, cart: np.ndarray, low_inventory: np.ndarray) -> np.ndarray:
    carts = world.config.carts
    rate = carts.abandonment_base_rate + carts.low_inventory_uplift_rate * low_inventory
    return hashing.uniform(world.seed, "carts.abandon", cart) < rate


def hinges_on_low(world: World, cart: np.ndarray) -> np.ndarray:
    """Whether each cart's decision depends on its low flag (its abandonment draw falls in the uplift band)."""
    return abandons(world, cart, np.ones(len(cart), bool)) != abandons(world, cart, np.zeros(len(cart), bool))


def recovery_funnel(world: World, cart: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(email sent, opened, clicked, ordered again) of abandoned carts; each step implies the previous."""
    return email_funnel(world.seed, world.config.carts, cart)


def email_funnel(seed: int, carts: CartParams, cart: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """recovery_funnel from the run's seed and cart parameters alone (the abandonment table's model reads it so)."""
    sent_rate, open_rate = carts.recovery_email_sent_rate, carts.recovery_email_open_rate
    click_rate, purchase_rate = carts.recovery_email_click_rate, carts.recovery_purchase_rate
    sent = hashing.uniform(seed, "carts.email_sent", cart) < sent_rate
    opened = sent & (hashing.uniform(seed, "carts.email_opened", cart) < open_rate)
    clicked = opened & (hashing.uniform(seed, "carts.email_clicked", cart) < click_rate)
    ordered = clicked & (hashing.uniform(seed, "carts.recovery_purchase", cart) < purchase_rate)
    return sent, opened, clicked, ordered


def shipping_availability(positions: np.ndarray, on_hand: np.ndarray) -> np.ndarray:
    """Units available at the node that would ship each line: the first node with stock, else the first node."""
    candidates = np.asarray(positions)
    stock = np.where(candidates >= 0, on_hand[np.maximum(candidates, 0)], -1)
    has_stock = stock > 0
    column = np.where(has_stock.any(axis=1), has_stock.argmax(axis=1), 0)
    return np.maximum(stock[np.arange(len(stock)), column], 0)


CART_LINE_SCHEMA = pa.schema(
    [
        ("cart", pa.int64()),
        ("is_recovery", pa.bool_()),     # the copy ordered again on the recovery day
        ("day", pa.int32()),             # simulation day of the line's order
        ("order", pa.int32()),
        ("line", pa.int16()),
        ("customer", pa.int32()),
        ("channel", pa.int16()),
        ("slot", pa.int16()),
        ("product", pa.int32()),
        ("low", pa.bool_()),             # originals: the item was low when the cart was decided
        ("value_cents", pa.int64()),     # originals: net sales of the requested units on the cart's day
        ("abandoned", pa.bool_()),
        ("recovery_ordered", pa.bool_()),
        ("ordered", pa.bool_()),         # the line was really ordered (and so served)
        ("sold", pa.int64()),            # units sold
        ("sold_cents", pa.int64()),      # net sales of the units sold
    ]
)


ATTRIBUTE_CHUNK = 500_000      # lines whose order attributes CartBook draws at once


def _cents(amount: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(amount) * 100).astype(np.int64)


class CartBook:
    """The digital cart lines of one block: which are low, which are ordered, and what they sold."""

    def __init__(self, world: World, requests: WalkLines, cart: np.ndarray, shared: np.ndarray) -> None:
        """`requests`, `cart` (each line's cart id, -1 for store lines) and `shared` are the walk's sorted lines."""
        self.world = world
        self.requests = requests
        self.is_recovery = requests.is_recovery
        self.cart_ids = np.unique(cart[cart >= 0])
        # each line's cart as an int32 index into cart_ids (-1: a store line), half the bytes of the id itself
        self.index = np.where(cart >= 0, np.searchsorted(self.cart_ids, cart), -1).astype(np.int32)
        n = len(self.cart_ids)
        self.shared = np.zeros(n, bool)              # the cart has lines in blocks another task walks
        self.shared[self.index[shared & (self.index >= 0)]] = True
        self.low = np.zeros(n, bool)                 # pooled over every block
        self.abandoned = np.zeros(n, bool)
        self.recovery_ordered = np.zeros(n, bool)
        self.line_low = np.zeros(len(cart), bool)

    def resume(self, pending_cart: np.ndarray, pending_low: np.ndarray) -> None:
        """Carts abandoned before the walk's first day whose recovery order comes later: decided, with their flags."""
        known = np.isin(pending_cart, self.cart_ids)
        k = np.searchsorted(self.cart_ids, pending_cart[known])
        self.low[k] = pending_low[known]
        self.abandoned[k] = self.recovery_ordered[k] = True

    def pending_recoveries(self, day: int) -> np.ndarray:
        """Which carts (of cart_ids) were decided before `day` and have their recovery order placed on or after it."""
        cart_day = order_days(self.world, self.cart_ids)
        return self.recovery_ordered & (cart_day < day) & (cart_day + recovery_delay(self.world, self.cart_ids) >= day)

    def store_lines(self) -> np.ndarray:
        """The ordered mask before any cart is decided: store lines are always ordered."""
        return self.index < 0

    def cart_of(self, lines: np.ndarray) -> np.ndarray:
        """int64 cart id of each line (-1 for store lines)."""
        k = self.index[lines]
        cart = np.full(len(lines), -1, np.int64)
        cart[k >= 0] = self.cart_ids[k[k >= 0]]
        return cart

    def order_attributes(self, lines: np.ndarray) -> dict[str, np.ndarray]:
        """demand.order_attributes of `lines`, which the walk does not hold (ORDER_ATTRIBUTES), in that order.

        Drawn ATTRIBUTE_CHUNK lines at a time: the draw's int64 temporaries
        would otherwise be the largest allocation of a big block's result.
        """
        r = self.requests
        chunks = [order_attributes(self.world, r.day[part], r.order[part], self.cart_of(part), r.is_recovery[part])
                  for part in np.array_split(lines, max(1, -(-len(lines) // ATTRIBUTE_CHUNK)))]
        return {name: np.concatenate([chunk[name] for chunk in chunks]) for name in ORDER_ATTRIBUTES}

    def low_carts(self, lines: np.ndarray, positions: np.ndarray, on_hand: np.ndarray) -> np.ndarray:
        """Ids of the carts among `lines` (one day's) with an original line low on stock at its shipping node.

        `positions` are the walk's nodes of every line; the book does not keep them, so the walk can release them.
        """
        original = lines[(self.index[lines] >= 0) & ~self.is_recovery[lines]]
        low = shipping_availability(positions[original], on_hand) <= self.world.config.inventory.low_inventory_threshold_count
        self.line_low[original] = low
        return self.cart_ids[np.unique(self.index[original[low]])]

    def decide(self, lines: np.ndarray, low_carts: np.ndarray, ordered: np.ndarray) -> None:
        """Decide the carts of `lines` (one day's) under the pooled low flags; marks in `ordered` what is ordered."""
        cart_lines = lines[self.index[lines] >= 0]
        original = cart_lines[~self.is_recovery[cart_lines]]
        if len(original):
            k = np.unique(self.index[original])
            cart = self.cart_ids[k]
            self.low[k] = np.isin(cart, low_carts, assume_unique=True)
            self.abandoned[k] = abandons(self.world, cart, self.low[k])
            self.recovery_ordered[k] = self.abandoned[k] & recovery_funnel(self.world, cart)[3]
            ordered[original] = ~self.abandoned[self.index[original]]
        copies = cart_lines[self.is_recovery[cart_lines]]
        ordered[copies] = self.recovery_ordered[self.index[copies]]

    def shared_among(self, cart: np.ndarray) -> np.ndarray:
        """The carts of `cart` (ids of this book) that other tasks hold lines of."""
        return cart[self.shared[np.searchsorted(self.cart_ids, cart)]]

    def settle(self, lines: np.ndarray, pooled_low: np.ndarray) -> None:
        """Record the pooled flags every task agreed on for the shared carts of `lines` (a span of days)."""
        k = np.unique(self.index[lines[(self.index[lines] >= 0) & ~self.is_recovery[lines]]])
        k = k[self.shared[k]]
        self.low[k] = np.isin(self.cart_ids[k], pooled_low)

    def cart_low_of(self, lines: np.ndarray) -> np.ndarray:
        """The pooled low flag of each line's cart (False for store lines)."""
        flag = np.zeros(len(lines), bool)
        in_cart = self.index[lines] >= 0
        flag[in_cart] = self.low[self.index[lines[in_cart]]]
        return flag

    def lines(self, sold: np.ndarray, ordered: np.ndarray, walked: np.ndarray) -> dict:
        """One entry per cart line of the block among the lines `walked` (CART_LINE_SCHEMA), after the walk."""
        r, world = self.requests, self.world
        at = np.flatnonzero((self.index >= 0) & walked)
        k = self.index[at]
        product, day = r.product[at].astype(np.int64), r.day[at].astype(np.int64)
        attributes = self.order_attributes(at)
        return {
            "cart": self.cart_ids[k],
            **r.fields(at, "is_recovery", "day", "order", "line"),
            **{name: attributes[name] for name in ("customer", "channel", "slot")},
            "product": r.product[at],
            "low": self.line_low[at],
            "value_cents": _cents(sale_amounts(world, product, day, r.quantity[at])[2]),
            "abandoned": self.abandoned[k],
            "recovery_ordered": self.recovery_ordered[k],
            "ordered": ordered[at],
            "sold": sold[at].astype(np.int64),
            "sold_cents": _cents(sale_amounts(world, product, day, sold[at])[2]),
        }


def decision_table(lines: pa.Table, carried: pa.Table | None = None) -> pa.Table:
    """Fold cart lines (CART_LINE_SCHEMA; every line of each cart present) into one row per cart, sorted by cart.

    items, products, low_items and cart_value count the original lines; a
    cart is checked out and sold when an original line sold, recovered when
    a copy sold. Money is summed in cents, so the result does not depend on
    which block or task a line came from.

    A walk resumed from a state holds only the recovery copies of the carts
    abandoned before it (their originals were walked by the run before):
    `carried` (PENDING_DECISION_SCHEMA, from pending_decisions of that run)
    gives those carts what was known at abandonment, and this walk's copies
    their outcome (with_carried).
    """
    c = {name: lines.column(name).to_numpy(zero_copy_only=False) for name in lines.schema.names}
    sort = np.lexsort((c["line"], c["is_recovery"], c["cart"]))
    c = {name: values[sort] for name, values in c.items()}
    cart, first = np.unique(c["cart"], return_index=True)
    k = np.searchsorted(cart, c["cart"])
    n = len(cart)
    original, copy = ~c["is_recovery"], c["is_recovery"]

    def total(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.bincount(k[mask], np.asarray(values)[mask], minlength=n)

    def any_of(mask: np.ndarray) -> np.ndarray:
        return total(np.ones(len(k)), mask) > 0

    items = total(np.ones(len(k)), original).astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum(items)]).astype(np.int32)
    recovery_day = np.full(n, -1, np.int32)
    served_copy = copy & c["ordered"]
    recovery_day[k[served_copy]] = c["day"][served_copy]
    columns = {
        "cart": cart,
        "day": c["day"][first],
        "order": c["order"][first],
        "customer": c["customer"][first],
        "channel": c["channel"][first],
        "slot": c["slot"][first],
        "items": items,
        "products": pa.ListArray.from_arrays(pa.array(offsets), pa.array(c["product"][original], pa.int32())),
        "low_items": total(c["low"], original).round().astype(np.int32),
        "cart_value": total(c["value_cents"], original) / 100,
        "abandoned": c["abandoned"][first],
        "checked_out_sold": any_of(original & (c["sold"] > 0)),
        "recovery_ordered": c["recovery_ordered"][first],
        "recovery_day": recovery_day,
        "recovered": any_of(copy & (c["sold"] > 0)),
        "recovery_revenue": total(c["sold_cents"], copy) / 100,
    }
    folded = _decision_rows(columns)
    return folded if carried is None else with_carried(folded, carried)


def _decision_rows(columns: dict) -> pa.Table:
    """CART_DECISION_SCHEMA rows from a column per field (numpy arrays or Arrow arrays)."""
    return pa.Table.from_arrays(
        [v if isinstance(v, pa.Array) else pa.array(v, type=f.type) for f, v in
         ((f, columns[f.name]) for f in CART_DECISION_SCHEMA)],
        schema=CART_DECISION_SCHEMA,
    )


# ---- continuation: the carts a run leaves to the next (abandoned, recovery order still to come)
# A decision row's outcomes; the other fields are known when the cart is decided, so a run carries them.
DECISION_OUTCOMES = ("abandoned", "checked_out_sold", "recovery_ordered", "recovery_day", "recovered", "recovery_revenue")
PENDING_DECISION_SCHEMA = pa.schema([f for f in CART_DECISION_SCHEMA if f.name not in DECISION_OUTCOMES])


def pending_decisions(decisions: pa.Table | pa.RecordBatch, stop_day: int, seed: int, carts: CartParams) -> pa.Table:
    """The decision rows (PENDING_DECISION_SCHEMA) of the carts a run stopping before `stop_day` leaves pending.

    They are the carts abandoned before stop_day whose recovery order comes
    on or after it (CartBook.pending_recoveries: recovery ordered, cart day
    + demand.recovery_delays >= stop_day). The next run folds them into its
    decision table (decision_table(lines, carried=...)): its lines hold only
    those carts' recovery copies. Any batch of the decision table may be
    given: a cart's row is selected on its own.
    """
    table = decisions if isinstance(decisions, pa.Table) else pa.Table.from_batches([decisions])
    cart = table.column("cart").to_numpy(zero_copy_only=False)
    day = table.column("day").to_numpy(zero_copy_only=False).astype(np.int64)
    ordered = table.column("recovery_ordered").to_numpy(zero_copy_only=False)
    pending = ordered & (day < stop_day) & (day + recovery_delays(seed, carts, cart) >= stop_day)
    return table.filter(pa.array(pending)).select(PENDING_DECISION_SCHEMA.names).cast(PENDING_DECISION_SCHEMA)


def with_carried(folded: pa.Table, carried: pa.Table) -> pa.Table:
    """The decision table `folded` from a resumed walk's lines, with the carried pending carts' rows in it.

    A carried cart takes its fields known at abandonment from `carried` (it is
    abandoned, not checked out, its recovery ordered) and its outcome
    (recovery_day, recovered, recovery_revenue) from the recovery copies
    folded here; one whose recovery order is still to come has none yet
    (recovery_day -1) and is kept, so the next pending_decisions carries it on.
    """
    carried = carried.select(PENDING_DECISION_SCHEMA.names).cast(PENDING_DECISION_SCHEMA)
    cart = folded.column("cart").to_numpy(zero_copy_only=False)
    carried_cart = carried.column("cart").to_numpy(zero_copy_only=False)
    is_carried = np.isin(cart, carried_cart)
    if folded.filter(pa.array(is_carried)).column("items").to_numpy(zero_copy_only=False).any():
        raise ValueError("a carried cart also has original lines in this walk: it was decided by two runs")
    at = np.searchsorted(cart, carried_cart)          # the folded row of each carried cart, where it has one
    walked = np.zeros(len(carried_cart), bool)
    walked[at < len(cart)] = cart[at[at < len(cart)]] == carried_cart[at < len(cart)]

    def outcome(name: str, none: float) -> np.ndarray:
        values = np.full(len(carried_cart), none, CART_DECISION_SCHEMA.field(name).type.to_pandas_dtype())
        values[walked] = folded.column(name).to_numpy(zero_copy_only=False)[at[walked]]
        return values

    n = len(carried_cart)
    columns: dict = {name: carried.column(name).combine_chunks() for name in PENDING_DECISION_SCHEMA.names}
    columns |= {"abandoned": np.ones(n, bool), "checked_out_sold": np.zeros(n, bool),
                "recovery_ordered": np.ones(n, bool), "recovery_day": outcome("recovery_day", -1),
                "recovered": outcome("recovered", False), "recovery_revenue": outcome("recovery_revenue", 0.0)}
    rows = pa.concat_tables([folded.filter(pa.array(~is_carried)), _decision_rows(columns)])
    return rows.sort_by("cart")
