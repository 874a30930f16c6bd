"""Customers change during the run: segment reviews by what they order, moves, and email and SMS opt-ins.

Every change opens a new version of the customer (Kimball type 2): a new
customer_key, while customer_id stays. The changes are decided here, on the
driver, before the walk, as a story of their own over the simulated days:

- on the first day of January and every `review_every_months` months
  after, a customer acquired at least `review_window_days` earlier is
  reviewed: the ordered spend of that window (list price x units requested,
  served or not: `demand.ordered_spend`) lifts them up the ladder
  regular < loyal < premium < vip as soon as it reaches a rung's floor, and
  drops them only below `demotion_share` of their rung's floor. 'new'
  customers join the ladder at their first review.
  Spend is what they ordered, not what stock let them buy: that is known
  before the walk, so no exchange between tasks is needed.
- moves and opt-in changes are Poisson processes at their yearly rates, each
  event's gap hashed from (seed, customer, event number). A move goes to
  another store's city, and the customer's demand follows the new home.

The segment a customer starts with is their propensity: it keeps deciding how
often they order, how much and how often they return. The versions' segments
classify what they do. Every draw is a function of the seed, the customer and
the days before it, so a shorter run's versions are a prefix of a longer one's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from retail_synth.model.simulation.customer_versions import CustomerVersions
from retail_synth.model.simulation.demand import ordered_spend
from retail_synth.model.simulation.world import STORE, World, build_world
from retail_synth.spec import hashing
from retail_synth.spec.ids import VERSION_KEY_STRIDE, first_versions
from retail_synth.spec.run_config import CustomerHistoryParams, RunConfig

MAX_VERSIONS = (2**31 - 1) // VERSION_KEY_STRIDE     # versions of one customer an int32 customer_key can number


@dataclass(frozen=True)
class CustomerHistory:
    """Every version of every customer, sorted by customer and first day (the dimension's rows)."""

    customer: np.ndarray      # int64 customer index
    first_day: np.ndarray     # int32 simulation day the version takes effect; -1 for the first version
    number: np.ndarray        # int32 version number within the customer, 0 first
    segment: np.ndarray       # int8 index into the segment names
    home: np.ndarray          # int16 home store location index
    email: np.ndarray         # bool email_subscribe_flag
    sms: np.ndarray           # bool sms_subscribe_flag
    spend: np.ndarray         # float64 the ordered spend of the review that opened the version; NaN for other changes

    def keys(self, customer_number: np.ndarray) -> np.ndarray:
        """customer_key of each version: the customer's number plus its version number times VERSION_KEY_STRIDE."""
        return (customer_number[self.customer] + self.number.astype(np.int64) * VERSION_KEY_STRIDE).astype(np.int32)


def simulated_history(config: RunConfig, dims: Mapping[str, pa.Table]) -> tuple[World, CustomerHistory]:
    """The customers' history of a run (the rows of gold_customer_dim), decided in the World of their first
    versions (the demand does not depend on the others), and that World."""
    world = build_world(config, dims, config.seed)
    return world, decide_history(world, config.customers.history, first_versions(dims["gold_customer_dim"]))


def decide_history(world: World, params: CustomerHistoryParams, customers: pa.Table) -> CustomerHistory:
    """The versions of each customer of `customers` (one row per customer, in the World's order)."""
    number = world.customer_key.astype(np.int64)
    acquired = _acquisition_day(customers, world.days[0])
    first_day = np.maximum(acquired + 1, world.warmup_days)         # changes come inside the written horizon
    initial = {"segment": world.customer_segment, "home": world.customer_home,
               **{flag: customers[f"{flag}_subscribe_flag"].to_numpy(zero_copy_only=False).astype(bool)
                  for flag in ("email", "sms")}}
    changes = {
        "segment": _segment_reviews(world, params, acquired),
        "home": _moves(world, params.move_yearly_rate, number, first_day),
        "email": _flips(world, "customers.email", params.email_opt_out_yearly_rate, params.email_opt_in_yearly_rate,
                        number, first_day, initial["email"]),
        "sms": _flips(world, "customers.sms", params.sms_opt_out_yearly_rate, params.sms_opt_in_yearly_rate,
                      number, first_day, initial["sms"]),
    }
    n = len(number)
    firsts = CustomerVersions.lookup_keys(np.arange(n), np.full(n, -1))
    key = np.unique(np.concatenate([firsts] + [c.key for c in changes.values()]))
    customer = key >> 32
    starts = np.searchsorted(customer, np.arange(n))
    version_number = (np.arange(len(key)) - starts[customer]).astype(np.int32)
    if len(key) and int(version_number.max()) >= MAX_VERSIONS:
        raise ValueError(f"a customer reached {int(version_number.max()) + 1} versions, more than the {MAX_VERSIONS} "
                         "an int32 customer_key numbers; lower the customers.history rates or shorten the run")
    carried = {name: change.carried(key, initial[name]) for name, change in changes.items()}
    reviewed = changes["segment"].on(key)
    spend = np.full(len(key), np.nan)
    spend[reviewed >= 0] = changes["segment"].spend[reviewed[reviewed >= 0]]
    return CustomerHistory(customer=customer, first_day=((key & 0xFFFFFFFF) - 1).astype(np.int32),
                           number=version_number, segment=carried["segment"].astype(np.int8),
                           home=carried["home"].astype(np.int16), email=carried["email"].astype(bool),
                           sms=carried["sms"].astype(bool), spend=spend)


@dataclass(frozen=True)
class Changes:
    """Dated changes of one attribute, sorted: key = customer << 32 | (day + 1), and the value from that day."""

    key: np.ndarray
    value: np.ndarray
    spend: np.ndarray         # segment reviews: the window spend behind each change (NaN for other attributes)

    @classmethod
    def of(cls, customer: np.ndarray, day: np.ndarray, value: np.ndarray, spend: np.ndarray | None = None) -> Changes:
        key = CustomerVersions.lookup_keys(customer, day)
        order = np.argsort(key, kind="stable")
        return cls(key[order], value[order], np.full(len(key), np.nan) if spend is None else spend[order])

    @classmethod
    def none(cls) -> Changes:
        empty = np.zeros(0, np.int64)
        return cls(empty, empty, np.zeros(0))

    def on(self, key: np.ndarray) -> np.ndarray:
        """Index of the change at exactly each version key, -1 where this attribute did not change then."""
        at = np.searchsorted(self.key, key)
        hit = at < len(self.key)
        hit[hit] = self.key[at[hit]] == key[hit]
        return np.where(hit, at, -1)

    def carried(self, key: np.ndarray, initial: np.ndarray) -> np.ndarray:
        """The attribute's value in effect at each version key: its last change by then, else the initial value."""
        last = np.searchsorted(self.key, key, side="right") - 1
        same = last >= 0
        same[same] = (self.key[last[same]] >> 32) == (key[same] >> 32)
        return np.where(same, self.value[np.maximum(last, 0)] if len(self.value) else 0, initial[key >> 32])


def _acquisition_day(customers: pa.Table, day0: np.datetime64) -> np.ndarray:
    """Simulation day of each customer's acquisition (negative before the first simulated day)."""
    dates = customers["acquisition_date"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    return (dates - np.asarray(day0).astype("datetime64[D]")).astype(np.int64)


def _segment_reviews(world: World, params: CustomerHistoryParams, acquired: np.ndarray) -> Changes:
    """Reviews up and down the ladder by the ordered spend of the trailing window, on the first day of January
    and every review_every_months months after."""
    names = list(world.segment_names)
    floors = {name: floor for name, floor in params.spend_floors().items() if name in names}
    ladder = np.array([names.index(name) for name in floors], dtype=np.int64)
    floor = np.array(list(floors.values()))
    floor[0] = 0.0                                              # the lowest rung configured holds everyone
    rung_of_segment = np.full(len(names), -1, dtype=np.int64)  # 'new' (and no rung): below the ladder
    rung_of_segment[ladder] = np.arange(len(ladder))
    window = params.review_window_days
    n_days = world.n_days
    days = world.days[:n_days]
    month = days.astype("datetime64[M]")
    first_of_month = days.astype("datetime64[D]") == month.astype("datetime64[D]")
    in_cycle = month.astype(np.int64) % params.review_every_months == 0      # months since 1970-01
    reviews = np.flatnonzero(first_of_month & in_cycle)
    reviews = reviews[reviews >= max(window, world.warmup_days)]
    if len(reviews) == 0 or len(ladder) == 0:
        return Changes.none()
    day, spender, value = ordered_spend(world)                 # sorted by day
    customers = np.arange(len(acquired), dtype=np.int64)
    rung = rung_of_segment[world.customer_segment]
    found: list[tuple[np.ndarray, ...]] = []
    for review in reviews:
        eligible = np.flatnonzero(np.maximum(acquired, 0) <= review - window)
        c = customers[eligible]
        since, to = np.searchsorted(day, [review - window, review])
        spend = np.bincount(spender[since:to], value[since:to], minlength=len(customers))[eligible]
        up = np.searchsorted(floor, spend, side="right") - 1
        down = np.searchsorted(floor * params.demotion_share, spend, side="right") - 1
        now = rung[eligible]
        moved = np.where(up > now, up, np.where(down < now, down, now))
        changed = moved != now
        rung[eligible[changed]] = moved[changed]
        found.append((c[changed], np.full(int(changed.sum()), review), ladder[moved[changed]], spend[changed]))
    customer, review_day, segment, spend = _joined(found, 4)
    return Changes.of(customer, review_day, segment, spend=spend)


def _event_days(world: World, stream: str, number: np.ndarray, first_day: np.ndarray,
                rate_of: Callable[[int, np.ndarray], np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Days of each customer's successive events from first_day on: gaps of a Poisson process at yearly rates.

    `rate_of(k, customers)` gives the yearly rate of event k of those customers;
    gap k is hashed from (seed, stream, customer number, k). Returns, per k,
    (customer indices, day) of the events that fall inside the simulated days.
    """
    events = []
    customer = np.flatnonzero(first_day < world.n_days)
    day = first_day[customer] - 1
    k = 0
    while len(customer):
        daily = 1 - (1 - np.minimum(rate_of(k, customer), 1 - 1e-12)) ** (1 / 365)
        u = hashing.uniform(world.seed, stream, number[customer], k)
        with np.errstate(divide="ignore", over="ignore"):
            gap = np.where(daily > 0, 1 + np.floor(np.log1p(-u) / np.log1p(-np.maximum(daily, 1e-300))), np.inf)
        day = day + np.minimum(gap, world.n_days).astype(np.int64)
        inside = day < world.n_days
        customer, day = customer[inside], day[inside]
        events.append((customer, day))
        k += 1
    return events


def _moves(world: World, yearly_rate: float, number: np.ndarray, first_day: np.ndarray) -> Changes:
    """Moves to another store's city: the k-th move of a customer goes to a hashed store other than the current home."""
    stores = np.flatnonzero(world.location_type == STORE)
    if len(stores) < 2 or yearly_rate <= 0:
        return Changes.none()
    position = np.searchsorted(stores, world.customer_home)      # the home's place among the stores
    found = []
    for k, (customer, day) in enumerate(_event_days(world, "customers.move", number, first_day,
                                                   lambda _k, c: np.full(len(c), yearly_rate))):
        other = hashing.integers(world.seed, "customers.move_store", 0, len(stores) - 2, number[customer], k)
        position[customer] = other + (other >= position[customer])
        found.append((customer, day, stores[position[customer]]))
    customer, day, home = _joined(found, 3)
    return Changes.of(customer, day, home)


def _flips(world: World, stream: str, opt_out_rate: float, opt_in_rate: float, number: np.ndarray,
           first_day: np.ndarray, initial: np.ndarray) -> Changes:
    """Opt-outs and opt-ins of one flag: a subscriber leaves at opt_out_rate a year, a non-subscriber joins at opt_in_rate."""
    initial = np.asarray(initial, dtype=bool)
    rates = np.array([opt_in_rate, opt_out_rate])

    def rate_of(k: int, customer: np.ndarray) -> np.ndarray:
        subscribed = initial[customer] ^ bool(k % 2)           # the flag flips at every event
        return rates[subscribed.astype(np.int64)]

    found = [(customer, day, ~initial[customer] ^ bool(k % 2))
             for k, (customer, day) in enumerate(_event_days(world, stream, number, first_day, rate_of))]
    customer, day, flag = _joined(found, 3)
    return Changes.of(customer, day, flag)


def _joined(parts: Sequence[tuple[np.ndarray, ...]], width: int) -> tuple[np.ndarray, ...]:
    """Column-wise concatenation of per-step tuples of arrays (empty int64 columns when there are none)."""
    if not parts:
        return tuple(np.zeros(0, np.int64) for _ in range(width))
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))
