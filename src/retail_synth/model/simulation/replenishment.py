"""InventoryManager: the replenishment policy of every position (product x location).

Network. Stores, warehouses and the DC are all replenished straight from
suppliers (there are no transfers between locations): each position has its
own supplier lead time, hashed from its keys within
inventory.store_lead_time_days_* for stores and warehouse_lead_time_days_*
for warehouses and the DC.

Policy. Daily review at the end of the day, (R, S) with a forecast: if
on_hand + in_transit <= R, order S - on_hand - in_transit, arriving at the
start of day + lead time. S = R + Q where the lot Q covers review_cycle_days
of forecast demand after the lead time (weeks, as fashion buys), at no less
than the lead time's daily rate, and at least the location kind's minimum
lot: inventory.store_minimum_lot_units (presentation stock) or
inventory.warehouse_minimum_lot_units (a supplier case pack). The floor keeps
the lot the reorder-level table assumes: at the end of a peak a lot sized on
the quieter weeks ahead left positions short while the peak still ran (small
peak-season: 11.3% out of stock on its last day against a 7.5% target). Cycle stock,
not safety stock, gives the retail depth of weeks of cover, so lots set
turnover and the low-inventory share while R keeps the stockout target.
Products past their end of life are not reordered. The forecast is the
analytic demand model of the World (product popularity x location demand x
the calendar's seasonality), so peak weeks are planned for, as a planner
would.

Calibration. The reorder level R is chosen so that the expected share of
stockout days equals inventory.target_stockout_rate, from a stationary model
of the policy (`reorder_level_table`, computed once per run):
  * fast movers: lead-time demand is compound Poisson; the stockout share of a
    cycle is the expected number of end-of-day zeros before the order arrives
    over the cycle length (base stock P(U_L >= R + 1) when Q = 1);
  * slow movers, which sell their minimum lot over weeks or months, hold it
    (R = 0, S = Q). Left alone they would almost never be out of stock, far
    below retail reality; like many retailers' tail assortments they are
    reordered after a hold of D days (batched low-volume ordering), chosen so
    that (D + L) / (D + L + time to sell the lot) equals the target.
The level is continuous: R = floor(level + u) with a fixed hashed dither u per
position (D likewise), so positions between two integer levels split between
them in the right proportion.

Feedback. On top of the model each position runs a deterministic integral
controller in days of demand: the safety offset c rises by
safety_adjust_rate x (1 - target) after each stockout day and falls by
safety_adjust_rate x target after each in-stock day, so its long-run stockout
share converges to the target whatever the model misses (returns, fallback
orders from other nodes, partial fills).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from retail_synth.model.simulation.world import STORE, World
from retail_synth.spec import hashing
from retail_synth.spec.run_config import FORECAST_PAD_DAYS

LAMBDA_GRID = np.geomspace(1e-4, 200.0, 241)      # lines per day covered by the reorder-level table
EXACT_MAX_MEAN = 100.0                             # compound Poisson computed exactly up to this many lines
EXACT_UNITS = 400                                  # ... and this many units
MAX_HOLD_DAYS = 720
SAFETY_OFFSET_LIMIT_DAYS = 120.0


# ---------------------------------------------------------------- stationary model of the policy

def _erfc(x: np.ndarray) -> np.ndarray:
    """Complementary error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7)."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    r = poly * np.exp(-z * z)
    return np.where(x >= 0, r, 2.0 - r)


class _CompoundPoisson:
    """Units demanded when lines ~ Poisson(m) and units per line ~ quantity weights: tail and loss functions.

    Exact (Panjer recursion) for means up to EXACT_MAX_MEAN lines, normal
    approximation with continuity correction above.
    """

    def __init__(self, quantity_weights: np.ndarray, means: np.ndarray):
        self.w = np.asarray(quantity_weights, dtype=np.float64)
        q = np.arange(1, len(self.w) + 1)
        self.eq, self.eq2 = float(self.w @ q), float(self.w @ q**2)
        self.means = np.asarray(means, dtype=np.float64)
        exact = self.means <= EXACT_MAX_MEAN
        m = self.means[exact]
        pmf = np.zeros((len(m), EXACT_UNITS + 1))
        pmf[:, 0] = np.exp(-m)
        for k in range(1, EXACT_UNITS + 1):          # Panjer recursion
            acc = np.zeros(len(m))
            for j in range(1, min(k, len(self.w)) + 1):
                acc += j * self.w[j - 1] * pmf[:, k - j]
            pmf[:, k] = m / k * acc
        survival = np.clip(1.0 - np.cumsum(pmf, axis=1) + pmf, 0.0, 1.0)     # P(U >= k)
        self.row = np.full(len(self.means), -1)
        self.row[exact] = np.arange(len(m))
        self.survival = survival
        # loss[k] = E[(U - k)^+] = sum over j > k of P(U >= j)
        self.loss_table = np.zeros_like(survival)
        self.loss_table[:, :-1] = np.cumsum(survival[:, :0:-1], axis=1)[:, ::-1]

    def _normal(self, which: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mean = self.means[which] * self.eq
        sd = np.sqrt(np.maximum(self.means[which] * self.eq2, 1e-12))
        return mean, sd, (k - 0.5 - mean) / sd

    def tail(self, which: np.ndarray, k: np.ndarray) -> np.ndarray:
        """P(U >= k) for the distributions self.means[which]."""
        k = np.asarray(k, dtype=np.float64)
        row = self.row[which]
        kk = np.clip(k, 0, EXACT_UNITS).astype(np.int64)
        exact = np.where(k > EXACT_UNITS, 0.0, self.survival[np.maximum(row, 0), kk])
        _, _, z = self._normal(which, k)
        out = np.where(row >= 0, exact, 0.5 * _erfc(z / np.sqrt(2.0)))
        return np.where(k <= 0, 1.0, out)

    def loss(self, which: np.ndarray, k: np.ndarray) -> np.ndarray:
        """E[(U - k)^+] for k >= 0."""
        k = np.asarray(k, dtype=np.float64)
        row = self.row[which]
        kk = np.clip(k, 0, EXACT_UNITS).astype(np.int64)
        exact = np.where(k >= EXACT_UNITS, 0.0, self.loss_table[np.maximum(row, 0), kk])
        mean, sd, z = self._normal(which, k + 1.0)          # z of x = k + 0.5
        normal = sd * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi) - (k + 0.5 - mean) * 0.5 * _erfc(z / np.sqrt(2.0))
        normal = np.maximum(normal, 0.0)
        return np.where(row >= 0, exact, normal)


def _lost_sales_factor(load: np.ndarray, stock: np.ndarray) -> np.ndarray:
    """Erlang B(stock, load) / P(Poisson(load) >= stock): how much less often a lost-sales base-stock
    position is empty than its backorder counterpart (units in replenishment form a loss system)."""
    stock = np.asarray(stock, dtype=np.int64)
    top = int(stock.max(initial=0))
    erlang = np.ones_like(load)
    term = np.exp(-load)                   # Poisson pmf at k
    below = np.zeros_like(load)            # P(Poisson < k)
    out_b = np.ones_like(load)
    out_p = np.ones_like(load)
    for k in range(1, min(top, 200) + 1):
        erlang = load * erlang / (k + load * erlang)
        below = below + term
        term = term * load / k
        hit = stock == k
        out_b = np.where(hit, erlang, out_b)
        out_p = np.where(hit, np.maximum(1.0 - below, 1e-300), out_p)
    factor = np.where(stock <= 200, out_b / out_p, 1.0)
    return np.clip(factor, 0.0, 1.0)


def time_to_sell_lot(lam: np.ndarray, lot: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Expected days to sell a lot at lam lines (mu units) a day: the first line's wait for a one-unit lot,
    the lot over the daily units (less half a day) otherwise. The hold and the starting phase both use it."""
    return np.where(lot <= 1, np.exp(-lam) / -np.expm1(-lam), lot / mu - 0.5)


def _stockout_share(cp: _CompoundPoisson, lam: np.ndarray, lead: np.ndarray, q: np.ndarray, level: np.ndarray,
                    hold: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Expected share of end-of-day stockouts of a position with reorder point `level` (integer >= 0),
    hold days and lot q, over a long stationary run.

    index[j, i] addresses the distribution of j days of demand of entry i (j = 0..max lead).
      * q = 1, level 0: renewal - the unit sells after T days, then D + L days out;
      * q = 1, level >= 1: base stock S = level + 1: out when L days of demand reach S;
      * q > 1: the inventory position after review is spread over (R, R + q], out at the
        end of the lead time when its demand reaches that position.
    """
    mu = lam * cp.eq
    lead_index = index[np.clip(lead, 0, len(index) - 1), np.arange(len(lam))]
    time_to_sell_one = np.exp(-lam) / np.maximum(-np.expm1(-lam), 1e-300)
    renewal = (lead + hold) / (lead + hold + time_to_sell_one)
    base_stock = cp.tail(lead_index, level + 1) * _lost_sales_factor(mu * lead, level + 1)
    spread = (cp.loss(lead_index, level) - cp.loss(lead_index, level + q)) / np.maximum(q, 1)
    lots = np.where(hold > 0, (lead + hold) / (lead + hold + q / np.maximum(mu, 1e-300) - 0.5), spread)
    return np.where(q <= 1, np.where(level >= 1, base_stock, renewal), lots)


@lru_cache(maxsize=16)
def _table(target: float, leads: tuple, review_days: int, minimum_lot: int, quantity_weights: tuple) -> np.ndarray:
    lam = np.repeat(LAMBDA_GRID[None, :], len(leads), axis=0).ravel()
    lead = np.repeat(np.asarray(leads, dtype=np.int64), len(LAMBDA_GRID))
    max_lead = max(leads)
    means = (np.arange(max_lead + 1)[:, None] * LAMBDA_GRID[None, :]).ravel()
    cp = _CompoundPoisson(np.asarray(quantity_weights), means)
    n = len(LAMBDA_GRID)
    grid_index = np.tile(np.arange(n), len(leads))
    index = np.array([j * n + grid_index for j in range(max_lead + 1)])
    mu = lam * cp.eq
    q = np.maximum(minimum_lot, np.round(mu * review_days))

    # Hold regime (R = 0): (D + out) / (D + out + T) = target.
    zero = np.zeros_like(lam)
    f0 = _stockout_share(cp, lam, lead, q, zero, zero, index)
    time_to_sell = time_to_sell_lot(lam, q, mu)
    hold = np.maximum(target / (1 - target) * time_to_sell - lead, 0.0)
    level_hold = -hold * mu                        # negative levels are holds, in units of demand

    # Reorder-point regime: largest integer R with share(R) > target, then interpolate to R + 1.
    lo = np.zeros_like(lam)                                              # share(lo) > target
    hi = np.ceil(mu * lead + 12 * np.sqrt(mu * lead * cp.eq2 / cp.eq) + 12)   # share(hi) <= target
    for _ in range(40):
        mid = np.floor((lo + hi) / 2)
        above = _stockout_share(cp, lam, lead, q, mid, zero, index) > target
        lo = np.where(above & (mid > lo), mid, lo)
        hi = np.where(~above & (mid < hi), mid, hi)
        if np.all(hi - lo <= 1):
            break
    f_lo = _stockout_share(cp, lam, lead, q, lo, zero, index)
    f_hi = _stockout_share(cp, lam, lead, q, lo + 1, zero, index)
    level_rop = lo + np.clip((f_lo - target) / np.maximum(f_lo - f_hi, 1e-12), 0.0, 1.0)
    return np.where(f0 <= target, level_hold, level_rop).reshape(len(leads), n)


def reorder_level_table(target: float, lead_min: int, lead_max: int, review_days: int, minimum_lot: int,
                        quantity_weights: np.ndarray) -> np.ndarray:
    """Reorder level hitting `target`, by [lead - lead_min, LAMBDA_GRID (lines per day)], for lots of at least `minimum_lot`.

    In units of demand; a negative level -x means R = 0 plus a hold of x / daily demand days.
    """
    leads = tuple(range(int(lead_min), int(lead_max) + 1))
    target = min(max(float(target), 1e-4), 0.95)          # 0 and 1 have no finite policy
    return _table(target, leads, int(review_days), int(minimum_lot), tuple(float(w) for w in quantity_weights))


# ---------------------------------------------------------------- per-position policy

@dataclass
class Policy:
    """Replenishment parameters of the positions of one block (position = product_offset * M + location)."""

    lead_time: np.ndarray         # int64 supplier lead time in days
    lines_per_index: np.ndarray   # float64 expected lines per day per unit of World.demand_index
    dither: np.ndarray            # float64 fixed hashed u in [0, 1)
    phase: np.ndarray             # float64 fixed hashed u for the initial state
    launch_day: np.ndarray        # int32
    end_of_life_day: np.ndarray   # int32
    # reorder_level_table of stores, then of warehouses and the DC, flattened [kind, lead - lead_min, grid]
    table: np.ndarray
    table_offset: np.ndarray      # int64 where each position's kind starts in `table`
    minimum_lot: np.ndarray       # int64 smallest lot of each position (store presentation stock, or a warehouse case pack)
    lead_min: int
    lead_rate: np.ndarray         # [day, lead - lead_min] mean demand index over the lead time after the day
    review_index: np.ndarray      # [day, lead - lead_min] demand index of the lot: summed over the review cycle after
                                  # the lead time, at no less than lead_rate a day (see the module's Policy)
    grid_offset: np.ndarray       # position part of the table coordinate log(lines) / grid step
    mean_quantity: float
    target: float
    gain: np.ndarray              # float64 controller gain per position (days per day of error)


def block_policy(world: World, product_lo: int, product_hi: int) -> Policy:
    m = world.n_locations
    products = np.repeat(np.arange(product_lo, product_hi), m)
    locations = np.tile(np.arange(m), product_hi - product_lo)
    pk, lk = world.product_key[products], world.location_key[locations]
    inventory = world.config.inventory
    store_lo, store_hi = inventory.store_lead_time_days_min, inventory.store_lead_time_days_max
    wh_lo, wh_hi = inventory.warehouse_lead_time_days_min, inventory.warehouse_lead_time_days_max
    is_store = world.location_type[locations] == STORE
    u_lead = hashing.uniform(world.seed, "inventory.lead_time", pk, lk)
    lead = np.where(
        is_store,
        store_lo + np.floor(u_lead * (store_hi - store_lo + 1)),
        wh_lo + np.floor(u_lead * (wh_hi - wh_lo + 1)),
    ).astype(np.int64)
    lead_min, lead_max = min(store_lo, wh_lo), max(store_hi, wh_hi)
    minimum_lots = (inventory.store_minimum_lot_units, inventory.warehouse_minimum_lot_units)
    tables = [reorder_level_table(inventory.target_stockout_rate, lead_min, lead_max, inventory.review_cycle_days,
                                  lot, world.quantity_pmf) for lot in minimum_lots]
    kind = np.where(is_store, 0, 1)
    units = world.popularity[products] * world.location_units_per_day[locations]
    # returned units come back within days, so the policy plans for demand net of returns
    lines = units * (1 - world.location_return_rate[locations]) / world.mean_quantity
    cs = np.r_[0.0, np.cumsum(world.demand_index)]
    days = np.arange(world.n_days)[:, None]
    leads = np.arange(lead_min, lead_max + 1)[None, :]
    rc = inventory.review_cycle_days
    step = np.log(LAMBDA_GRID[1] / LAMBDA_GRID[0])
    lead_rate = (cs[days + 1 + leads] - cs[days + 1]) / leads
    return Policy(
        lead_time=lead,
        lines_per_index=lines,
        dither=hashing.uniform(world.seed, "inventory.dither", pk, lk),
        phase=hashing.uniform(world.seed, "inventory.phase", pk, lk),
        launch_day=world.launch_day[products],
        end_of_life_day=world.end_of_life_day[products],
        table=np.concatenate([t.ravel() for t in tables]),
        table_offset=kind * tables[0].size,
        minimum_lot=np.asarray(minimum_lots, dtype=np.int64)[kind],
        lead_min=lead_min,
        lead_rate=lead_rate,
        review_index=np.maximum(cs[days + 1 + leads + rc] - cs[days + 1 + leads], lead_rate * rc),
        grid_offset=(np.log(np.maximum(lines, 1e-300)) - np.log(LAMBDA_GRID[0])) / step,
        mean_quantity=world.mean_quantity,
        target=inventory.target_stockout_rate,
        # The stationary model is exact enough for slow movers; feedback matters where
        # lead-time demand is a line or more (overlapping orders, lot sizes), so the gain
        # grows with the lines expected over the lead time.
        gain=inventory.safety_adjust_rate * np.minimum(1.0, 3.0 * lines * planned_demand_index(world) * lead),
    )


def planned_demand_index(world: World) -> float:
    """Mean demand index over the plan and its look-ahead: a fixed window, so the gain does not move with end_date."""
    return float(world.demand_index[:world.warmup_days + world.plan_days + FORECAST_PAD_DAYS].mean())


def daily_levels(policy: Policy, day: int, safety_days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(reorder point R, hold days D, lot Q) of every position at the review of `day`.

    The forecast is the demand expected over the lead time after `day`; the
    lot covers review_cycle_days more. safety_days is the controller's offset.
    """
    column = policy.lead_time - policy.lead_min
    rate = policy.lead_rate[day][column]
    lam = policy.lines_per_index * rate                                  # forecast lines per day
    mu = np.maximum(lam * policy.mean_quantity, 1e-9)
    n = len(LAMBDA_GRID)
    step = np.log(LAMBDA_GRID[1] / LAMBDA_GRID[0])
    x = policy.grid_offset + np.log(np.maximum(policy.lead_rate[day], 1e-300))[column] / step
    x = np.clip(x, 0, n - 1.000001)
    i = x.astype(np.int64)
    w = x - i
    row = policy.table_offset + column * n + i
    level = policy.table[row] * (1 - w) + policy.table[row + 1] * w + safety_days * mu
    reorder_point = np.where(level >= 0, np.floor(level + policy.dither), 0).astype(np.int64)
    hold = np.where(level < 0, np.minimum(np.floor(-level / mu + policy.dither), MAX_HOLD_DAYS), 0).astype(np.int64)
    lot = np.round(policy.lines_per_index * policy.review_index[day][column] * policy.mean_quantity)
    lot = np.maximum(policy.minimum_lot, lot).astype(np.int64)
    return reorder_point, hold, lot


@dataclass
class InitialState:
    on_hand: np.ndarray       # int64 at the start of day 0
    arrival_day: np.ndarray   # int64 day an initial order arrives (-1: none)
    arrival_qty: np.ndarray   # int64
    hold_until: np.ndarray    # int64 day the pending order will be placed (-1: none)


def initial_state(policy: Policy) -> InitialState:
    """Every position starts at a hashed phase of its replenishment cycle, as if it had run for ever.

    Lots cover weeks of demand and a slow mover's cycle (selling its lot,
    then waiting D + L days) is longer than the warm-up, so starting every
    position full would synchronise their orders and leave the horizon with
    almost no slow-mover stockouts. Instead a position with reorder point 0
    starts empty with probability equal to its expected stockout share (the
    remaining wait spread uniformly over the cycle's out-of-stock part), and
    otherwise, like every other position, with on hand spread uniformly over
    its cycle stock (R, R + Q].
    """
    reorder_point, hold, lot = daily_levels(policy, 0, np.zeros(len(policy.lead_time)))
    order_up_to = reorder_point + lot
    lead = policy.lead_time
    lam = np.maximum(policy.lines_per_index * policy.lead_rate[0][lead - policy.lead_min], 1e-12)
    time_to_sell = time_to_sell_lot(lam, lot, lam * policy.mean_quantity)
    out_days = hold + lead
    share = np.where(reorder_point == 0, out_days / (out_days + np.maximum(time_to_sell, 1e-12)), 0.0)
    selling = (policy.launch_day <= 0) & (policy.end_of_life_day > 0)
    empty = selling & (policy.phase < share)
    remaining = 1 + np.floor(policy.phase / np.maximum(share, 1e-12) * out_days).astype(np.int64)
    remaining = np.minimum(remaining, out_days)
    in_transit = empty & (remaining <= lead)
    cycle = (policy.phase - share) / np.maximum(1 - share, 1e-12)          # uniform in [0, 1) when not empty
    stocked = reorder_point + 1 + np.minimum(np.floor(cycle * lot), lot - 1).astype(np.int64)
    return InitialState(
        on_hand=np.where(empty, 0, np.where(selling, stocked, order_up_to)).astype(np.int64),
        arrival_day=np.where(in_transit, remaining, -1).astype(np.int64),
        arrival_qty=np.where(in_transit, order_up_to, 0).astype(np.int64),
        hold_until=np.where(empty & ~in_transit, remaining - lead, -1).astype(np.int64),
    )
