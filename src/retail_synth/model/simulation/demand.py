"""Customer demand: every order line of the simulated period, dealt to the product blocks.

Orders per day come from the World (Poisson of the summed customer order rates
times the day's seasonality, so twice the customers give about twice the
orders). Every other draw is a hash of (seed, stream, day, order number[,
line number]): the customer of an order, its basket size, channel, time slot
and payment; the product, quantity and priority of each line. Basket sizes,
quantities and payments follow their declarations in `distributions`. A task
therefore draws all lines once, deals each to the block of its product, and
every block gets exactly the same lines, with the same attributes, whatever
the block boundaries and whichever blocks share its task.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from retail_synth.model.simulation.world import World, guided_search
from retail_synth.spec import hashing
from retail_synth.spec.ids import (
    LINE_NUMBER_BITS,
    ORDER_NUMBER_BITS,
    RECOVERED_ORDER_BASE,
    SLOTS_PER_DAY,
    SLOTS_PER_HOUR,
)
from retail_synth.spec.run_config import CartParams
from retail_synth.spec.vocabulary import PAYMENT_METHODS

STORE_OPEN_SLOT, STORE_CLOSE_SLOT = 40, 84        # stores take orders 10:00 through 20:45
PRODUCT_REDRAWS = 16                              # redraws of a line whose product is not on sale that day
TERMINALS_PER_STORE = 8
ASSOCIATES_PER_STORE = 40
CHUNK_LINES = 1_500_000                           # lines generated at once (bounds memory)

# the columns order_attributes draws for each line's order, in the sales lines' order
ORDER_ATTRIBUTES = ("customer", "channel", "is_digital", "slot", "payment", "terminal", "associate")


def _slot_weights() -> tuple[np.ndarray, np.ndarray]:
    """Order time-of-day profiles over the quarter-hour slots: stores (opening hours) and digital (evening peak)."""
    slot = np.arange(SLOTS_PER_DAY)
    hour = slot // SLOTS_PER_HOUR
    store = np.where((slot >= STORE_OPEN_SLOT) & (slot < STORE_CLOSE_SLOT), 1.0, 0.0)
    store *= np.where((hour >= 12) & (hour < 14), 1.5, 1.0) * np.where((hour >= 17) & (hour < 20), 1.8, 1.0)
    digital = np.select(
        [hour < 6, hour < 9, hour < 12, hour < 18, hour < 23],
        [0.15, 0.6, 0.9, 1.0, 2.0],
        default=1.0,
    )
    return store / store.sum(), digital / digital.sum()


STORE_SLOT_WEIGHTS, DIGITAL_SLOT_WEIGHTS = _slot_weights()




def order_ids(epoch_day: np.ndarray, order_number: np.ndarray) -> np.ndarray:
    """One int64 id per (day, order number in the day)."""
    return (np.asarray(epoch_day, dtype=np.int64) << ORDER_NUMBER_BITS) | np.asarray(order_number, dtype=np.int64)


def order_days(world: World, order_id: np.ndarray) -> np.ndarray:
    """The simulation day index of each order id (a cart id is one)."""
    return (np.asarray(order_id, dtype=np.int64) >> ORDER_NUMBER_BITS) - int(world.epoch_day[0])


def order_slots(seed: int, order_id: np.ndarray, is_digital: bool | np.ndarray) -> np.ndarray:
    """Quarter-hour slot of each order, hashed from its id: the time_key of its lines and its serving priority.

    The customer event table times a recovered order's purchase with it, so
    the draw lives here once.
    """
    order_id = np.asarray(order_id)
    digital = np.broadcast_to(np.asarray(is_digital, bool), order_id.shape)
    slot = np.empty(order_id.shape, np.int16)
    for profile, rows in ((STORE_SLOT_WEIGHTS, ~digital), (DIGITAL_SLOT_WEIGHTS, digital)):
        slot[rows] = hashing.choice(seed, "demand.slot", profile, order_id[rows])
    return slot


def recovered_order_numbers(days_since_abandonment: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Order number of a recovered cart on its recovery day; above MAX_ORDERS_PER_DAY, so never a regular order's."""
    return np.asarray(days_since_abandonment, dtype=np.int64) * RECOVERED_ORDER_BASE + np.asarray(order, dtype=np.int64)


def line_ids(order_id: np.ndarray, line_number: np.ndarray) -> np.ndarray:
    """One int64 id per (day, order, line); line numbers start at 0."""
    return (np.asarray(order_id, dtype=np.int64) << LINE_NUMBER_BITS) | np.asarray(line_number, dtype=np.int64)


@dataclass
class Requests:
    """Order lines of one product block (one entry per line), in generation order.

    A block's walk keeps only the fields it reads (WalkLines).
    """

    day: np.ndarray          # int32 simulation day index
    order: np.ndarray        # int32 order number within the day
    line: np.ndarray         # int16 line number within the order (0-based)
    customer: np.ndarray     # int32 customer index
    product: np.ndarray      # int32 product index
    quantity: np.ndarray     # int16 units requested (distributions.quantity)
    channel: np.ndarray      # int16 channel index
    is_digital: np.ndarray   # bool
    nodes: np.ndarray        # int16 [n, k] locations to try in order (-1 pads); stores: the home store only
    slot: np.ndarray         # int16 quarter-hour slot of the order (0-95)
    priority: np.ndarray     # float64 service order within a position and day (ascending)
    payment: np.ndarray      # int8 index into PAYMENT_METHODS
    terminal: np.ndarray     # int16 POS terminal number (store orders)
    associate: np.ndarray    # int16 sales associate number (store orders)
    line_id: np.ndarray      # int64 hashed-draw id of the line (day, order, line)
    cart: np.ndarray         # int64 id of the digital cart the line belongs to (its original order id); -1 for stores
    is_recovery: np.ndarray  # bool: the copy of a cart line ordered again on the cart's recovery day
    shared: np.ndarray       # bool: the line's order also has lines in blocks outside this draw (another task's)

    def __len__(self) -> int:
        return len(self.day)


@dataclass
class WalkLines:
    """The fields of a block's Requests its walk keeps, sorted by (day, first position, priority).

    The walk drops the rest to hold the whole catalogue in less memory: the
    line id (only the return draws read it), the priority (its rank within
    the day serves instead), the nodes (the positions hold them), the cart
    and sharing (the CartBook keeps them per cart) and the order's attributes
    (order_attributes draws them again for the lines written). While the walk
    runs, it holds no day or product either (NOT_HELD): a line's day follows
    from the day bounds and its product from its first position.
    """

    day: np.ndarray
    order: np.ndarray
    line: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    is_recovery: np.ndarray

    def fields(self, index: np.ndarray, *names: str) -> dict[str, np.ndarray]:
        """{name: that field of the lines at `index`}, for the walk's outputs."""
        return {name: getattr(self, name)[index] for name in names}


NO_CARTS = np.zeros(0, np.int64)
NOT_HELD = np.zeros(0, np.int32)      # a WalkLines field the walk does not hold at the moment
NOT_HELD.flags.writeable = False


def _day_chunks(world: World, first_day: int = 0, stop_day: int | None = None) -> list[tuple[int, int]]:
    """Day ranges from `first_day` to `stop_day` (default: the last day) whose lines fit CHUNK_LINES (estimated
    with the largest basket)."""
    lines = world.orders_per_day * int(world.segment_basket_max.max())
    stop = world.n_days if stop_day is None else stop_day
    chunks, start, acc = [], first_day, 0
    for d in range(first_day, stop):
        if acc and acc + lines[d] > CHUNK_LINES:
            chunks.append((start, d))
            start, acc = d, 0
        acc += int(lines[d])
    chunks.append((start, stop))
    return chunks


def _draw_products(world: World, seed: int, lid: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Zipf product of each line among the products on sale that day (-1: none found)."""
    cdf, guide = world.popularity_cdf, world.popularity_guide
    product = guided_search(cdf, guide, hashing.uniform(seed, "demand.product", lid))
    bad = np.flatnonzero((day < world.launch_day[product]) | (day >= world.end_of_life_day[product]))
    for attempt in range(1, PRODUCT_REDRAWS + 1):
        if len(bad) == 0:
            break
        redraw = guided_search(cdf, guide, hashing.uniform(seed, "demand.product", lid[bad], attempt))
        product[bad] = redraw
        still = (day[bad] < world.launch_day[redraw]) | (day[bad] >= world.end_of_life_day[redraw])
        bad = bad[still]
    product[bad] = -1
    return product


def blocks_requests(world: World, blocks: list[tuple[int, int]], first_day: int = 0,
                    pending: np.ndarray = NO_CARTS, stop_day: int | None = None,
                    groups: Sequence[int] | None = None) -> Iterator[Requests]:
    """All order lines of each block [lo, hi) from `first_day` on (warm-up and horizon), in the blocks' order.

    The lines of every order are drawn once for all `blocks` and dealt to the
    block of their product, so a task walking many blocks draws the whole
    demand once instead of once per block; each block's lines keep their
    generation order, so its requests are those it would draw alone. A line
    is `shared` when its order also has lines in blocks not among `blocks`:
    its cart is then decided together with the tasks that walk those.

    A walk resuming at `first_day` gets the lines of that day on, and of the
    carts abandoned before it only the recovery copies of the `pending` ones
    (sorted cart ids whose recovery order was placed): the orders of the
    recovery lookback are drawn again for them. A walk that stops before
    `stop_day` gets no line of that day or later, so a round of the staged
    exchange (rounds.py) draws only the days it walks.
    With `groups` (one group number per block), a line is also `shared` when
    its order has lines in a block of another group: each group can then walk
    on its own once every such cart's flag is known (walk.walk_apart and
    pilot.py: one group a block).
    """
    stop = world.n_days if stop_day is None else stop_day
    drawn_from = max(0, first_day - world.config.carts.recovery_delay_days_max)
    owner = np.full(world.n_products + 1, -1, dtype=np.int32)     # the last entry: a line that found no product
    for index, (lo, hi) in enumerate(blocks):
        owner[lo:hi] = index
    kept: dict[int, list[tuple[np.ndarray, ...]]] = {index: [] for index in range(len(blocks))}
    for d0, d1 in _day_chunks(world, drawn_from, stop):
        lines = _order_lines(world, d0, d1)
        if lines is None:
            continue
        total, order, customer, line_order, line, line_day, product = lines
        block = owner[product]
        elsewhere = (block < 0) & (product < world.n_products)       # a line of a block another task walks
        if groups is not None:
            group = np.where(block >= 0, np.asarray(groups, np.int64)[block], -1)
            elsewhere = elsewhere | (group != group[_first_lines(line_order, total)][line_order])
        shared = (np.bincount(line_order, weights=elsewhere, minlength=total) > 0)[line_order]
        by_block = np.argsort(block, kind="stable")
        ends = np.cumsum(np.bincount(block + 1, minlength=len(blocks) + 1))
        for index, parts in kept.items():
            keep = by_block[ends[index]:ends[index + 1]]
            orders = line_order[keep]
            parts.append((line_day[keep], order[orders], line[keep], customer[orders], product[keep].astype(np.int32),
                          shared[keep]))

    for index, (lo, hi) in enumerate(blocks):
        parts = kept.pop(index)      # a block's drawn lines are freed once its requests are out
        parts.append(_lift_lines(world, lo, hi, drawn_from, stop))
        day, order, line, customer, product, shared = (np.concatenate(c) for c in zip(*parts, strict=True))
        requests = _with_recovery_copies(world, _attributes(world, day, order, line, customer, product, shared), stop)
        yield requests if first_day == 0 else _from_day(world, requests, first_day, pending)


def _first_lines(line_order: np.ndarray, total: int) -> np.ndarray:
    """Index of the first line of each of `total` orders (lines sorted by order; an order without lines: clipped)."""
    return np.minimum(np.searchsorted(line_order, np.arange(total)), max(len(line_order) - 1, 0))


def _order_lines(world: World, d0: int, d1: int) -> tuple | None:
    """The regular order lines of days [d0, d1): (orders, order number and customer per order, then per line its
    order's position, line number, day and product; -1: none on sale), or None when no order was placed."""
    counts = world.orders_per_day[d0:d1]
    total = int(counts.sum())
    if total == 0:
        return None
    day = np.repeat(np.arange(d0, d1, dtype=np.int32), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    order = (np.arange(total) - first).astype(np.int32)
    oid = order_ids(world.epoch_day[day], order)
    customer = order_customers(world, oid, day)
    basket = _basket_lines(world, world.customer_segment[customer], oid)
    line_order = np.repeat(np.arange(total), basket)
    line_first = np.repeat(np.cumsum(basket) - basket, basket)
    line = (np.arange(len(line_order)) - line_first).astype(np.int16)
    line_day = day[line_order]
    product = _draw_products(world, world.seed, line_ids(oid[line_order], line), line_day)
    return total, order, customer, line_order, line, line_day, product


def ordered_spend(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(day, customer, value) of every order, sorted by day: list price x units requested over its lines.

    Every line counts, served, short or lost to a stockout, abandoned or not,
    and each demand-lift order; a recovered cart's reorder is its cart again
    and does not count twice. The walk decides what stock allowed; this is
    known before it, so the customer history can be decided on the driver.
    """
    lift_day, lift_order, lift_line, lift_customer, lift_product, _ = _lift_lines(world, 0, world.n_products)
    parts = []
    for d0, d1 in _day_chunks(world):
        lifted = (lift_day >= d0) & (lift_day < d1)
        day = [lift_day[lifted]]
        customer = [lift_customer[lifted]]
        value = [_line_value(world, lift_day[lifted], lift_order[lifted], lift_line[lifted], lift_product[lifted])]
        lines = _order_lines(world, d0, d1)
        if lines is not None:
            total, order, customer_of, line_order, line, line_day, product = lines
            day.insert(0, np.repeat(np.arange(d0, d1, dtype=np.int32), world.orders_per_day[d0:d1]))
            customer.insert(0, customer_of)
            value.insert(0, np.bincount(line_order, _line_value(world, line_day, order[line_order], line, product),
                                        minlength=total))
        days = np.concatenate(day)
        by_day = np.argsort(days, kind="stable")          # a day's orders, then its lift orders
        parts.append((days[by_day], np.concatenate(customer)[by_day], np.concatenate(value)[by_day]))
    days, customers, values = (np.concatenate(column) for column in zip(*parts, strict=True))
    return days.astype(np.int32), customers.astype(np.int64), values


def _line_value(world: World, day: np.ndarray, order: np.ndarray, line: np.ndarray, product: np.ndarray) -> np.ndarray:
    """List price x units requested of each line (0 for a line that found no product on sale)."""
    lid = line_ids(order_ids(world.epoch_day[day], order), line)
    units = world.quantity_units[hashing.choice(world.seed, "demand.quantity", world.quantity_weights, lid)]
    found = product >= 0
    return np.where(found, units * world.base_price[np.where(found, product, 0)], 0.0)


def _from_day(world: World, requests: Requests, first_day: int, pending: np.ndarray) -> Requests:
    """The lines a walk resuming at `first_day` reads: those of its days, and of earlier carts only pending copies."""
    earlier_cart = order_days(world, requests.cart) < first_day
    keep = (requests.day >= first_day) & (~requests.is_recovery | ~earlier_cart | np.isin(requests.cart, pending))
    return Requests(**{name: getattr(requests, name)[keep] for name in Requests.__dataclass_fields__})


def order_customers(world: World, oid: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The customer of each order, drawn by order rate among the customers acquired by its day."""
    u = hashing.uniform(world.seed, "demand.customer", oid) * world.active_mass[day]
    return world.customer_by_acquisition[guided_search(world.customer_cdf, world.customer_guide, u)].astype(np.int32)


def _lift_lines(world: World, product_lo: int, product_hi: int, first_day: int = 0, stop_day: int | None = None) -> tuple:
    """The single-line orders a demand lift adds to products of the block (World.lift_*) from `first_day` on."""
    stop = world.n_days if stop_day is None else stop_day
    mine = np.flatnonzero((world.lift_product >= product_lo) & (world.lift_product < product_hi)
                          & (world.lift_day >= first_day) & (world.lift_day < stop))
    counts = world.lift_orders[mine]
    total = int(counts.sum())
    entry = np.repeat(mine, counts)
    day = world.lift_day[entry].astype(np.int32)
    order = (world.lift_first_order[entry] + np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)).astype(np.int32)
    oid = order_ids(world.epoch_day[day], order)
    return (day, order, np.zeros(total, dtype=np.int16), order_customers(world, oid, day),
            world.lift_product[entry].astype(np.int32), np.zeros(total, bool))


def _basket_lines(world: World, segment: np.ndarray, oid: np.ndarray) -> np.ndarray:
    """Lines of each order, drawn from its customer's segment's declaration (distributions.basket_lines)."""
    basket = np.zeros(len(oid), dtype=np.int64)
    for index, name in enumerate(world.segment_names):
        rows = np.flatnonzero(segment == index)
        basket[rows] = world.config.distributions.basket_lines[name].integers(world.seed, "demand.basket", oid[rows])
    return basket


def recovery_delay(world: World, cart: np.ndarray) -> np.ndarray:
    """Days from abandonment to the recovering order of each cart (hashed, so every block agrees)."""
    return recovery_delays(world.seed, world.config.carts, cart)


def recovery_delays(seed: int, carts: CartParams, cart: np.ndarray) -> np.ndarray:
    """recovery_delay from the run's seed and cart parameters alone (carts.pending_decisions reads it so)."""
    return hashing.integers(seed, "carts.recovery_delay", carts.recovery_delay_days_min,
                            carts.recovery_delay_days_max, cart)


def _with_recovery_copies(world: World, regular: Requests, stop_day: int | None = None) -> Requests:
    """Append, for every digital line, its copy on the cart's recovery day.

    Whether a copy is really ordered depends on the cart being abandoned and
    recovered, which the walk decides; generating every candidate here keeps
    the request arrays static, so a block needs only the cart decisions to
    reproduce the run. The recovered order number encodes the days since
    abandonment, so it never collides with that day's regular orders.
    """
    digital = np.flatnonzero(regular.is_digital)
    cart = np.full(len(regular), -1, dtype=np.int64)
    cart[digital] = order_ids(world.epoch_day[regular.day[digital]], regular.order[digital])
    delay = recovery_delay(world, cart[digital])
    recovery_day = regular.day[digital] + delay
    inside = recovery_day < (world.n_days if stop_day is None else stop_day)
    src, delay, recovery_day = digital[inside], delay[inside], recovery_day[inside]
    order = recovered_order_numbers(delay, regular.order[src]).astype(np.int32)
    oid = order_ids(world.epoch_day[recovery_day], order)
    lid = line_ids(oid, regular.line[src])
    is_recovery = np.ones(len(src), dtype=bool)
    attributes = order_attributes(world, recovery_day, order, cart[src], is_recovery)
    copies = Requests(
        day=recovery_day.astype(np.int32),
        order=order,
        line=regular.line[src],
        product=regular.product[src],
        quantity=regular.quantity[src],
        nodes=regular.nodes[src],
        priority=attributes["slot"] + hashing.uniform(world.seed, "demand.priority", lid),
        line_id=lid,
        cart=cart[src],
        is_recovery=is_recovery,
        shared=regular.shared[src],
        **attributes,
    )
    regular.cart = cart
    regular.is_recovery = np.zeros(len(regular), dtype=bool)
    return Requests(**{name: np.concatenate([getattr(regular, name), getattr(copies, name)])
                       for name in Requests.__dataclass_fields__})


def order_attributes(world: World, day: np.ndarray, order: np.ndarray, cart: np.ndarray,
                     is_recovery: np.ndarray) -> dict[str, np.ndarray]:
    """customer, channel, is_digital, slot, payment, terminal and associate of each line's order, hashed from ids.

    The one home of these draws: demand generation calls it, and the walk
    calls it again for the lines it writes instead of holding seven columns
    for every request. A recovery copy's order keeps its cart's customer,
    channel, terminal and associate (drawn from the cart's original order id
    and day); its own order id draws its slot and payment.
    """
    seed = world.seed
    day = np.asarray(day, dtype=np.int64)
    order = np.asarray(order, dtype=np.int64)
    oid = order_ids(world.epoch_day[day], order)
    source = np.where(is_recovery, cart, oid)
    source_day = np.where(is_recovery, day - order // RECOVERED_ORDER_BASE, day)
    customer = order_customers(world, source, source_day)
    n_channels = len(world.channel_code)
    preferred = world.customer_channel[customer].astype(np.int64)
    loyal = hashing.uniform(seed, "demand.channel", source) < world.config.demand.channel_loyalty_rate
    draw = hashing.uniform(seed, "demand.channel_other", source)
    other = np.floor(draw * max(n_channels - 1, 1)).astype(np.int64)
    other = other + (other >= preferred)
    online = ~world.customer_in_reach[customer]
    if online.any():        # a customer no store reaches prefers a digital channel and switches to another one
        digital = np.flatnonzero(world.channel_is_digital)
        rank = np.searchsorted(digital, preferred[online])
        pick = np.floor(draw[online] * max(len(digital) - 1, 1)).astype(np.int64)
        other[online] = digital[np.minimum(pick + (pick >= rank), len(digital) - 1)]
    channel = np.where(loyal | (n_channels == 1), preferred, other).astype(np.int16)
    is_digital = world.channel_is_digital[channel]
    payments = world.config.distributions.payment_method
    payment = np.empty(len(oid), np.int8)
    for methods, rows in ((payments.store, ~is_digital), (payments.digital, is_digital)):
        payment[rows] = methods.draw_from(PAYMENT_METHODS, seed, "demand.payment", oid[rows])
    return {
        "customer": customer.astype(np.int32),
        "channel": channel,
        "is_digital": is_digital,
        "slot": order_slots(seed, oid, is_digital),
        "payment": payment,
        "terminal": (1 + hashing.integers(seed, "demand.terminal", 0, TERMINALS_PER_STORE - 1, source)).astype(np.int16),
        "associate": (1 + hashing.integers(seed, "demand.associate", 0, ASSOCIATES_PER_STORE - 1, source)).astype(np.int16),
    }


def _attributes(world: World, day: np.ndarray, order: np.ndarray, line: np.ndarray, customer: np.ndarray,
                product: np.ndarray, shared: np.ndarray) -> Requests:
    """Order- and line-level attributes of the kept lines, all hashed from their ids."""
    seed = world.seed
    lid = line_ids(order_ids(world.epoch_day[day], order), line)
    attributes = order_attributes(world, day, order, np.full(len(day), -1, np.int64), np.zeros(len(day), bool))
    is_digital = attributes["is_digital"]
    # a store order goes to the home store, a digital one to its city's nodes: the home of the version of that day
    home = world.customer_versions.home_on(customer, day)
    nodes = np.full((len(day), world.location_nodes.shape[1]), -1, dtype=np.int16)
    nodes[:, 0] = home
    nodes[is_digital] = world.location_nodes[home[is_digital]]
    # the World's normalised weights in declared order: the shares the replenishment model plans with
    quantity = world.quantity_units[hashing.choice(seed, "demand.quantity", world.quantity_weights, lid)].astype(np.int16)
    return Requests(
        day=day.astype(np.int32),
        order=order.astype(np.int32),
        line=line.astype(np.int16),
        product=product.astype(np.int32),
        quantity=quantity,
        nodes=nodes,
        # service order within a position and day: the order's time slot, ties broken by a hashed draw
        priority=attributes["slot"] + hashing.uniform(seed, "demand.priority", lid),
        line_id=np.asarray(lid, dtype=np.int64),
        cart=np.full(len(day), -1, dtype=np.int64),
        is_recovery=np.zeros(len(day), dtype=bool),
        shared=shared,
        **attributes,
    )
