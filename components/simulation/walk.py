"""The day-by-day inventory walk of one product block.

`simulate_block(world, product_lo, product_hi)` is a pure function of the
world and the block: demand lines are hashed per line, lead times, dithers and
phases per position, and positions of different products never interact (a
digital order line falls back only to other nodes of the same product). So
simulating [0, 60) at once or as [0, 30) + [30, 60) gives identical rows.

One Python iteration per day (warm-up + horizon), vectorised over all
positions and that day's requests. Each day:
  1. start of day: receipts of orders due today and return restocks arrive;
  2. requests are served (allocation.serve: seeded-random order, partial
     fills, digital fallback to the next nodes);
  3. end of day: stockout flags, controller update, replenishment review.
The horizon keeps end-of-day states; the warm-up is simulated but never
written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from components.simulation import allocation, carts, demand, replenishment, returns
from components.simulation.carts import CartLedger
from components.simulation.pricing import price_terms
from components.simulation.world import World

TRAILING_DEMAND_DAYS = 28


@dataclass
class BlockResult:
    """Everything the fact tables of one block are made of (positions = product offset * n_locations + location)."""

    product_lo: int
    product_hi: int
    n_locations: int
    warmup_days: int
    position_product: np.ndarray      # int64 product index of each position
    position_location: np.ndarray     # int64 location index of each position
    lead_time: np.ndarray             # int64 supplier lead time of each position
    opening: np.ndarray               # int64 on hand at the start of the first horizon day (before its receipts)

    # [horizon day, position], end of day
    on_hand: np.ndarray               # int32
    in_transit: np.ndarray            # int32 ordered, not yet received
    reorder_point: np.ndarray         # int32 the policy's R of the day
    reorder_quantity: np.ndarray      # int32 the policy's lot Q of the day (S = R + Q)
    restocked: np.ndarray             # int32 returned units put back on stock at the start of the day

    # [simulation day, position] over every simulated day and beyond (orders placed near the end)
    arrivals: np.ndarray              # int32 replenishment units arriving at the start of the day

    # [horizon day + TRAILING_DEMAND_DAYS - 1, position]: units requested at the first node asked,
    # starting TRAILING_DEMAND_DAYS - 1 days before the horizon (zeros before simulation day 0)
    requested: np.ndarray

    # sale lines of the horizon (quantity sold >= 1), in (day, order, line) order; see _sales
    sales: dict

    # lost attempts of the horizon (requests that got nothing), one entry each
    lost_position: np.ndarray         # the first node asked
    lost_day: np.ndarray              # horizon day index
    lost_quantity: np.ndarray         # units requested
    lost_revenue: np.ndarray          # units requested at list price

    @property
    def n_positions(self) -> int:
        return len(self.position_product)

    @property
    def horizon_days(self) -> int:
        return self.on_hand.shape[0]

    @property
    def is_stockout(self) -> np.ndarray:
        """[horizon day, position]: quantity_available (= on hand; nothing reserved or damaged) is 0."""
        return self.on_hand == 0

    @property
    def receipts(self) -> np.ndarray:
        """[horizon day, position] replenishment units received at the start of the day."""
        return self.arrivals[self.warmup_days:self.warmup_days + self.horizon_days]


def simulate_block(world: World, product_lo: int, product_hi: int) -> BlockResult:
    """The block's walk under the cart decisions of `world.carts` (see decide_carts)."""
    if world.carts is None:
        raise ValueError("world.carts is not set: run carts.decide_carts first")
    return _walk(world, product_lo, product_hi, ledger_needed=False)


def decide_carts(world: World):
    """The walk over all products, deciding every cart; returns the cart decision table."""
    return _walk(world, 0, world.n_products, ledger_needed=True)


def with_cart_decisions(world: World) -> World:
    """Run the cart decision pass on this process and attach its decisions (tests and scripts; Spark runs it as a task)."""
    world.carts = carts.decisions_from_table(decide_carts(world))
    return world


def _walk(world: World, product_lo: int, product_hi: int, ledger_needed: bool):
    m = world.n_locations
    nb = product_hi - product_lo
    n_pos = nb * m
    n_days, warmup, horizon = world.n_days, world.warmup_days, world.horizon_days
    policy = replenishment.block_policy(world, product_lo, product_hi)
    target = policy.target
    lead = policy.lead_time
    max_lead = int(lead.max()) if n_pos else 1

    # ---- requests of the block, sorted by (day, first position, priority)
    req = demand.block_requests(world, product_lo, product_hi)
    ret = returns.return_draws(world, req)
    local = (req.product - product_lo).astype(np.int64) * m
    positions = np.where(req.nodes >= 0, local[:, None] + req.nodes, -1).astype(np.int64)
    order = np.lexsort((req.priority, positions[:, 0], req.day))
    positions = positions[order]
    quantity = req.quantity[order].astype(np.int64)
    priority = req.priority[order]
    day_of = req.day[order]
    returned = ret.returned[order] & (day_of >= warmup)
    delay = ret.delay[order]
    bounds = np.searchsorted(day_of, np.arange(n_days + 1))
    n_req = len(order)
    cart, is_recovery = req.cart[order], req.is_recovery[order]
    if ledger_needed:
        ledger = CartLedger(world, {
            "cart": cart, "is_recovery": is_recovery, "positions": positions, "quantity": quantity,
            "day": day_of, "order": req.order[order], "line": req.line[order], "customer": req.customer[order],
            "channel": req.channel[order], "slot": req.slot[order], "product": req.product[order].astype(np.int64),
        })
        ordered = cart < 0
    else:
        ordered = carts.replay(world.carts, cart, is_recovery)
    sold = np.zeros(n_req, np.int64)
    inv_at = np.zeros(n_req, np.int64)
    served = np.zeros(n_req, np.int8)

    # ---- state
    init = replenishment.initial_state(policy)
    on_hand = init.on_hand.copy()
    in_transit = np.zeros(n_pos, np.int64)
    arrivals = np.zeros((n_days + max_lead + 2, n_pos), np.int32)
    has_init = np.flatnonzero(init.arrival_day >= 0)
    arrivals[init.arrival_day[has_init], has_init] += init.arrival_qty[has_init].astype(np.int32)
    in_transit[has_init] += init.arrival_qty[has_init]
    restock = np.zeros((n_days + 1, n_pos), np.int32)
    window = warmup - (TRAILING_DEMAND_DAYS - 1)           # simulation day of requested[0]
    kept_days = 0 if ledger_needed else horizon           # the deciding pass keeps no daily state
    requested = np.zeros((kept_days and kept_days + TRAILING_DEMAND_DAYS - 1, n_pos), np.int32)
    hold_until = init.hold_until.copy()
    safety = np.zeros(n_pos)
    opening = on_hand.copy()

    rec = {name: np.zeros((kept_days, n_pos), np.int32) for name in ("on_hand", "in_transit", "reorder_point", "reorder_quantity")}
    alive_from, alive_to = policy.launch_day, policy.end_of_life_day
    gain = policy.gain

    for d in range(n_days):
        if d == warmup:
            opening = on_hand.copy()
        # 1. start of day
        on_hand += arrivals[d]
        in_transit -= arrivals[d]
        on_hand += restock[d]
        # 2. decide the day's carts, then serve the requests really ordered
        if ledger_needed:
            ledger.decide(np.arange(bounds[d], bounds[d + 1]), on_hand, ordered)
        today = bounds[d] + np.flatnonzero(ordered[bounds[d]:bounds[d + 1]])
        if len(today):
            if d >= window and not ledger_needed:
                first = positions[today, 0]
                starts = allocation._group_starts(first)
                requested[d - window, first[starts]] = np.add.reduceat(quantity[today], starts)
            s, inv, col = allocation.serve(positions[today], quantity[today], priority[today], on_hand, presorted=True)
            sold[today], inv_at[today], served[today] = s, inv, col
            if ledger_needed:
                ledger.book(today, s, d)
            back = np.flatnonzero(returned[today] & (s > 0))
            if len(back):
                when = d + delay[today][back]
                inside = when < n_days
                back, when = back[inside], when[inside]
                where = positions[today[back], col[back]]
                np.add.at(restock, (when, where), s[back].astype(np.int32))
        # 3. end of day: controller and review
        stockout = on_hand == 0
        active = (d >= alive_from) & (d < alive_to)
        safety += np.where(active, gain * (stockout - target), 0.0)
        np.clip(safety, -replenishment.SAFETY_OFFSET_LIMIT_DAYS, replenishment.SAFETY_OFFSET_LIMIT_DAYS, out=safety)
        reorder_point, hold, lot = replenishment.daily_levels(policy, d, safety)
        position_level = on_hand + in_transit
        trigger = (position_level <= reorder_point) & (d < alive_to)
        hold_until = np.where(trigger, np.where(hold_until < 0, d + hold, hold_until), -1)
        place = np.flatnonzero(trigger & (d >= hold_until))
        if len(place):
            qty = reorder_point[place] + lot[place] - position_level[place]
            arrivals[d + lead[place], place] += qty.astype(np.int32)
            in_transit[place] += qty
            hold_until[place] = -1
        if d >= warmup and not ledger_needed:
            h = d - warmup
            rec["on_hand"][h] = on_hand
            rec["in_transit"][h] = in_transit
            rec["reorder_point"][h] = reorder_point
            rec["reorder_quantity"][h] = lot

    if ledger_needed:
        return ledger.table()
    return _result(world, product_lo, product_hi, policy, opening, rec, arrivals, restock, requested,
                   req, order, positions, quantity, day_of, sold, inv_at, served, ret, ordered)


def _result(world, product_lo, product_hi, policy, opening, rec, arrivals, restock, requested,
            req, order, positions, quantity, day_of, sold, inv_at, served, ret, ordered) -> BlockResult:
    m = world.n_locations
    n_days, warmup = world.n_days, world.warmup_days
    in_horizon = day_of >= warmup

    # sale lines of the horizon
    keep = np.flatnonzero(in_horizon & (sold > 0))
    src = order[keep]
    product = req.product[src].astype(np.int64)
    day = day_of[keep].astype(np.int64)
    location = req.nodes[src, served[keep]].astype(np.int64)
    rate, promotional, clearance = price_terms(world, product, day)
    sales = {
        "day": day,
        "order": req.order[src],
        "line": req.line[src],
        "customer": req.customer[src],
        "product": product,
        "location": location,
        "channel": req.channel[src],
        "is_digital": req.is_digital[src],
        "quantity_requested": quantity[keep],
        "quantity_sold": sold[keep],
        "inventory_at_purchase": inv_at[keep],
        "slot": req.slot[src],
        "payment": req.payment[src],
        "terminal": req.terminal[src],
        "associate": req.associate[src],
        "is_return": ret.returned[src],
        "is_exchange": ret.exchange[src],
        "restock_day": np.where(ret.returned[src], day + ret.delay[src], -1),
        "discount_rate": rate,
        "is_promotional": promotional,
        "is_clearance": clearance,
        "cart": req.cart[src],
        "is_recovery": req.is_recovery[src],
    }
    line_order = np.lexsort((sales["line"], sales["order"], sales["day"]))
    sales = {k: v[line_order] for k, v in sales.items()}

    # lost attempts of the horizon: requests that got nothing, attributed to the first node asked and
    # valued at list price; a partial fill is a sale line whose shortfall shows in quantity_requested
    lost = np.flatnonzero(in_horizon & ordered & (sold == 0))
    lost_pos = positions[lost, 0]
    lost_product = req.product[order[lost]].astype(np.int64)
    lost_revenue = np.round(quantity[lost] * world.base_price[lost_product], 2)

    return BlockResult(
        product_lo=product_lo,
        product_hi=product_hi,
        n_locations=m,
        position_product=np.repeat(np.arange(product_lo, product_hi), m),
        position_location=np.tile(np.arange(m), product_hi - product_lo),
        warmup_days=warmup,
        lead_time=policy.lead_time,
        opening=opening,
        on_hand=rec["on_hand"],
        in_transit=rec["in_transit"],
        reorder_point=rec["reorder_point"],
        reorder_quantity=rec["reorder_quantity"],
        restocked=restock[warmup:n_days],
        arrivals=arrivals,
        requested=requested,
        sales=sales,
        lost_position=lost_pos.astype(np.int64),
        lost_day=(day_of[lost] - warmup).astype(np.int64),
        lost_quantity=quantity[lost].astype(np.int64),
        lost_revenue=lost_revenue,
    )
