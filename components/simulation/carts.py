"""Cart abandonment: every digital order starts as a cart that is checked out or abandoned.

A cart is decided at the start of its day: it is low-inventory when one of
its items has at most `low_inventory_threshold_count` units available at the
node that would ship it (the first of the customer's fulfilment nodes with
stock). Low-inventory carts are abandoned `low_inventory_uplift_rate` more
often. An abandoned cart may be recovered through the email funnel: on its
recovery day its lines are ordered again and go through the same allocation
as any order.

Because a cart spans product blocks, `walk.decide_carts` runs the walk once over
all products and records one row per cart; the blocks then replay those
decisions (World.carts) and reproduce exactly the same stock trajectory.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from components import hashing
from components.simulation.pricing import sale_amounts
from components.simulation.world import CartDecisions, World

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
    p = world.params
    rate = p["abandonment_base_rate"] + p["low_inventory_uplift_rate"] * low_inventory
    return hashing.uniform(world.seed, "carts.abandon", cart) < rate


def recovery_funnel(world: World, cart: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(email sent, opened, clicked, ordered again) of abandoned carts; each step implies the previous."""
    sent_rate, open_rate, click_rate, purchase_rate = world.params["recovery_funnel_rates"]
    sent = hashing.uniform(world.seed, "carts.email_sent", cart) < sent_rate
    opened = sent & (hashing.uniform(world.seed, "carts.email_opened", cart) < open_rate)
    clicked = opened & (hashing.uniform(world.seed, "carts.email_clicked", cart) < click_rate)
    ordered = clicked & (hashing.uniform(world.seed, "carts.recovery_purchase", cart) < purchase_rate)
    return sent, opened, clicked, ordered


def shipping_availability(positions: np.ndarray, on_hand: np.ndarray) -> np.ndarray:
    """Units available at the node that would ship each line: the first node with stock, else the first node."""
    candidates = np.asarray(positions)
    stock = np.where(candidates >= 0, on_hand[np.maximum(candidates, 0)], -1)
    has_stock = stock > 0
    column = np.where(has_stock.any(axis=1), has_stock.argmax(axis=1), 0)
    return np.maximum(stock[np.arange(len(stock)), column], 0)


def replay(decisions: CartDecisions, cart: np.ndarray, is_recovery: np.ndarray) -> np.ndarray:
    """Which request lines are really ordered under the decided carts (store lines always are)."""
    active = cart < 0
    lines = np.flatnonzero(~active)
    index = decisions.lookup(cart[lines])
    active[lines] = np.where(is_recovery[lines], decisions.recovery_ordered[index], ~decisions.abandoned[index])
    return active


class CartLedger:
    """Decides the carts of the all-products walk day by day and books their outcome."""

    def __init__(self, world: World, requests: dict):
        self.world = world
        self.r = requests                               # the walk's request arrays, in its sorted order
        cart = requests["cart"]
        self.cart, first = np.unique(cart[cart >= 0], return_index=True)
        n = len(self.cart)
        cart_lines = np.flatnonzero(cart >= 0)[first]
        self.day = requests["day"][cart_lines].astype(np.int32)
        self.order = requests["order"][cart_lines].astype(np.int32)
        self.customer = requests["customer"][cart_lines].astype(np.int32)
        self.channel = requests["channel"][cart_lines].astype(np.int16)
        self.slot = requests["slot"][cart_lines].astype(np.int16)
        original = np.flatnonzero((cart >= 0) & ~requests["is_recovery"])
        original = original[np.lexsort((requests["line"][original], cart[original]))]
        self.products = pa.ListArray.from_arrays(
            np.searchsorted(cart[original], np.append(self.cart, np.iinfo(np.int64).max)).astype(np.int32),
            pa.array(requests["product"][original].astype(np.int32)),
        )
        self.items = np.zeros(n, np.int32)
        self.low_items = np.zeros(n, np.int32)
        self.cart_value = np.zeros(n)
        self.abandoned = np.zeros(n, bool)
        self.checked_out_sold = np.zeros(n, bool)
        self.recovery_ordered = np.zeros(n, bool)
        self.recovery_day = np.full(n, -1, np.int32)
        self.recovered = np.zeros(n, bool)
        self.recovery_revenue = np.zeros(n)

    def _net(self, lines: np.ndarray, units: np.ndarray) -> np.ndarray:
        return sale_amounts(self.world, self.r["product"][lines], self.r["day"][lines], units)[2]

    def _index(self, cart: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.cart, cart)

    def decide(self, lines: np.ndarray, on_hand: np.ndarray, ordered: np.ndarray) -> None:
        """Before the day's allocation: decide the day's carts and mark which of `lines` are ordered."""
        r = self.r
        lines = lines[r["cart"][lines] >= 0]
        original = lines[~r["is_recovery"][lines]]
        if len(original):
            k = self._index(r["cart"][original])
            low = shipping_availability(r["positions"][original], on_hand) <= self.world.params["low_inventory_threshold_count"]
            np.add.at(self.items, k, 1)
            np.add.at(self.low_items, k, low.astype(np.int32))
            np.add.at(self.cart_value, k, self._net(original, r["quantity"][original]))
            today = np.unique(k)
            abandoned = abandons(self.world, self.cart[today], self.low_items[today] > 0)
            self.abandoned[today] = abandoned
            self.recovery_ordered[today] = abandoned & recovery_funnel(self.world, self.cart[today])[3]
            ordered[original] = ~self.abandoned[k]
        copies = lines[r["is_recovery"][lines]]
        if len(copies):
            ordered[copies] = self.recovery_ordered[self._index(r["cart"][copies])]

    def book(self, served: np.ndarray, sold: np.ndarray, day: int) -> None:
        """After the day's allocation: which checked-out and recovered carts sold something, and for how much."""
        r = self.r
        lines = served[r["cart"][served] >= 0]
        units = sold[r["cart"][served] >= 0]
        k = self._index(r["cart"][lines])
        copy = r["is_recovery"][lines]
        selling = units > 0
        self.checked_out_sold[k[~copy & selling]] = True
        recovered = k[copy & selling]
        self.recovered[recovered] = True
        self.recovery_day[k[copy]] = day
        np.add.at(self.recovery_revenue, recovered, self._net(lines[copy & selling], units[copy & selling]))

    def table(self) -> pa.Table:
        columns = {
            "cart": self.cart, "day": self.day, "order": self.order, "customer": self.customer,
            "channel": self.channel, "slot": self.slot, "items": self.items, "products": self.products,
            "low_items": self.low_items,
            "cart_value": np.round(self.cart_value, 2), "abandoned": self.abandoned,
            "checked_out_sold": self.checked_out_sold, "recovery_ordered": self.recovery_ordered,
            "recovery_day": self.recovery_day, "recovered": self.recovered,
            "recovery_revenue": np.round(self.recovery_revenue, 2),
        }
        return pa.Table.from_arrays(
            [columns[f.name] if isinstance(columns[f.name], pa.Array) else pa.array(columns[f.name], type=f.type)
             for f in CART_DECISION_SCHEMA],
            schema=CART_DECISION_SCHEMA,
        )


def decisions_from_table(table: pa.Table) -> CartDecisions:
    """The compact replay view of the decision table that every block needs."""
    table = table.sort_by("cart")
    return CartDecisions(
        cart=table["cart"].to_numpy(),
        abandoned=table["abandoned"].to_numpy(zero_copy_only=False),
        recovery_ordered=table["recovery_ordered"].to_numpy(zero_copy_only=False),
        low_inventory=(table["low_items"].to_numpy() > 0),
    )
