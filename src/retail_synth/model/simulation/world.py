"""The simulation world: everything a block simulation needs, as plain numpy arrays.

`build_world` runs once on the driver. It turns the dimension tables and the
configuration into a picklable `World` (a few MB at most) that travels to the
tasks inside the Spark functions that need it (no broadcast variable, so Spark
Connect works the same); the walk is then a pure function of the world.
Its steps follow it in the order it calls them: the calendar, the dimensions
as arrays, the demand parameters, the orders of each day.

Day indices: simulation day 0 is `warmup_days` before start_date; the written
horizon is days [warmup_days, warmup_days + horizon_days), the plan days
[warmup_days, warmup_days + plan_days). Calendar arrays run over both and
FORECAST_PAD_DAYS further, so replenishment can look ahead past the end and
every array the plan shapes is the same whatever day the horizon ends on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_synth.model.dimensions.calendar import calendar_features
from retail_synth.model.dimensions.catchment import within_reach
from retail_synth.model.simulation.customer_versions import CustomerVersions
from retail_synth.model.simulation.disruptions import Disruptions, plan_cycle, plan_disruptions
from retail_synth.spec import hashing
from retail_synth.spec.demand_volume import (
    daily_order_rate,
    day_seasonality,
    expected_orders,
)
from retail_synth.spec.distributions import Categorical, LogNormal, Zipf
from retail_synth.spec.ids import MAX_ORDERS_PER_DAY, VERSION_KEY_STRIDE, first_versions
from retail_synth.spec.run_config import (
    FORECAST_PAD_DAYS,
    ByName,
    CartParams,
    CustomerParams,
    RunConfig,
)
from retail_synth.spec.vocabulary import APPAREL_SIZES, WAIST_SIZES

LOCATION_TYPES = ("store", "warehouse", "dc")
STORE, WAREHOUSE, DC = 0, 1, 2
NEVER = np.iinfo(np.int32).max // 2   # "no end of life" as a day index
NOT_APPAREL, TOPS_CHART, BOTTOMS_CHART = -1, 0, 1    # size charts: letter sizes (tops), waist sizes (bottoms)
CHART_OF_LEVEL_2 = {"tops": TOPS_CHART, "dresses": TOPS_CHART, "outerwear": TOPS_CHART, "bottoms": BOTTOMS_CHART}


@dataclass(eq=False)
class World:
    """Arrays and parameters of one run. Indices (not keys) address customers, products, locations, channels."""

    seed: int
    start_date: np.datetime64
    warmup_days: int
    horizon_days: int
    plan_days: int                    # days from start_date the plans are laid over (RunConfig.plan_days)

    # calendar, per simulation day (max(n_days, warm-up + plan days) + FORECAST_PAD_DAYS entries)
    days: np.ndarray                  # datetime64[D]
    date_key: np.ndarray              # int32 yyyymmdd
    is_weekend: np.ndarray
    is_holiday: np.ndarray
    is_peak_season: np.ndarray
    is_sale_period: np.ndarray
    seasonality: np.ndarray           # demand multiplier of the day (uplifts multiplied)
    demand_index: np.ndarray          # seasonality / popularity mass of products on sale that day
    orders_per_day: np.ndarray        # int64, n_days entries: orders placed that day (all products)

    # customers
    customer_key: np.ndarray          # int32
    customer_segment: np.ndarray      # int8 index into segment_names
    customer_by_acquisition: np.ndarray   # int64 customer indices by acquisition day (stable; identity without growth)
    customer_cdf: np.ndarray          # float64 cumulative order weights in that order (normalised)
    customer_guide: np.ndarray        # sampling_guide(customer_cdf)
    active_mass: np.ndarray           # float64 per simulation day: customer_cdf mass of customers acquired by then
    customer_channel: np.ndarray      # int8 preferred channel index
    customer_in_reach: np.ndarray     # bool: lives within reach of a store; else orders online only (catchment.py)
    customer_home: np.ndarray         # int16 home store location index of the first version (the demand plan's)
    customer_versions: CustomerVersions   # each customer's versions: key and home store from their first day
    segment_names: tuple
    segment_orders_per_day: np.ndarray
    segment_basket_max: np.ndarray    # int64 largest basket (lines) of each segment (distributions.basket_lines)
    segment_return_probability: np.ndarray

    # products
    product_key: np.ndarray           # int32
    base_price: np.ndarray
    unit_cost: np.ndarray
    popularity: np.ndarray            # normalised weights of distributions.product_popularity (Zipf: over a hashed permutation)
    popularity_cdf: np.ndarray
    popularity_guide: np.ndarray      # sampling_guide(popularity_cdf)
    launch_day: np.ndarray            # int32 first day the product can be ordered
    end_of_life_day: np.ndarray       # int32 first day it can no longer be ordered or reordered (NEVER if none)

    # locations
    location_key: np.ndarray          # int32
    location_type: np.ndarray         # int8 STORE / WAREHOUSE / DC
    location_id: np.ndarray           # object (str)
    state_tax_rate: np.ndarray

    # sizes (size-fit bridge)
    product_size_chart: np.ndarray    # int8 per product: NOT_APPAREL, TOPS_CHART or BOTTOMS_CHART
    customer_size_tops: np.ndarray    # int8 index into APPAREL_SIZES (size_profile_tops)
    customer_size_bottoms: np.ndarray # int8 index into WAIST_SIZES (size_profile_bottoms)

    # customer events (gold_customer_event_fact): a customer lives in the home store's city
    location_city: np.ndarray         # object (str) city of each location
    location_region: np.ndarray       # object (str) region of each location
    location_nodes: np.ndarray        # int16 [location, node] digital fulfilment nodes of its city, nearest first
    product_type: np.ndarray          # object (str) category_level_3 of gold_product_dim (search terms)

    # channels
    channel_key: np.ndarray           # int32
    channel_code: np.ndarray          # object (str)
    channel_is_digital: np.ndarray    # bool

    # analytic demand model: expected units per day of product p at location m on day d
    #   = popularity[p] * location_units_per_day[m] * demand_index[d]   (while p is on sale)
    location_units_per_day: np.ndarray
    location_return_rate: np.ndarray  # expected share of sold units returned, per location
    quantity_units: np.ndarray        # int64 quantities of distributions.quantity, in declared order
    quantity_weights: np.ndarray      # their weights, normalised: the draw of a line's quantity
    quantity_pmf: np.ndarray          # P(quantity = 1, 2, ...), for the replenishment model
    mean_quantity: float
    mean_basket_lines: float          # expected lines of an order

    # the scenario's plan, and the extra single-line orders its demand lifts bring, by (day, product)
    disruptions: Disruptions
    lift_day: np.ndarray              # int32 simulation day
    lift_product: np.ndarray          # int32 product index
    lift_orders: np.ndarray           # int64 extra orders of that product that day
    lift_first_order: np.ndarray      # int64 order number of the first of them

    config: RunConfig                 # the run's parameters, read by the simulation and the table producers

    @property
    def n_days(self) -> int:
        """Simulated days: warm-up plus horizon."""
        return self.warmup_days + self.horizon_days

    def plan_cycle_end(self, day: int) -> int:
        """The first simulation day after the plan cycle of `day` (cycle k: plan days k * plan_days on; the warm-up
        belongs to cycle 0)."""
        return self.warmup_days + (int(plan_cycle(day, self.warmup_days, self.plan_days)) + 1) * self.plan_days

    @property
    def n_products(self) -> int:
        return len(self.product_key)

    @property
    def n_locations(self) -> int:
        return len(self.location_key)

    @property
    def epoch_day(self) -> np.ndarray:
        """Days since 1970-01-01 of each simulation day: the day id used in hashed draws."""
        return self.days.astype(np.int64)


def sampling_guide(cdf: np.ndarray, buckets_per_entry: int = 4) -> np.ndarray:
    """Guide table of a normalised CDF: guide[j] = searchsorted(cdf, j / size, 'right')."""
    size = max(1, buckets_per_entry * len(cdf))
    return np.searchsorted(cdf, np.arange(size + 1) / size, side="right").astype(np.int32)


def guided_search(cdf: np.ndarray, guide: np.ndarray, u: np.ndarray) -> np.ndarray:
    """min(searchsorted(cdf, u, 'right'), len(cdf) - 1), exactly, but with few cache misses.

    The guide narrows each draw to the entries of its bucket; a short
    vectorised scan finishes it (the guided "indexed search" method).
    """
    size = len(guide) - 1
    last = len(cdf) - 1
    bucket = np.minimum((u * size).astype(np.int64), size - 1)
    idx = np.minimum(guide[bucket], last).astype(np.int64)
    hi = np.minimum(guide[bucket + 1], last)
    todo = np.flatnonzero(idx < hi)
    while len(todo):
        step = cdf[idx[todo]] <= u[todo]
        todo = todo[step]
        idx[todo] += 1
        todo = todo[idx[todo] < hi[todo]]
    return idx


def _day_index(dates: pa.ChunkedArray | pa.Array, day0: np.datetime64, missing: int) -> np.ndarray:
    values = np.asarray(dates.to_numpy(zero_copy_only=False), dtype="datetime64[D]")
    out = (values - day0).astype(np.int64)
    out = np.where(np.isnat(values), missing, out)
    return out.astype(np.int32)


def _column(table: pa.Table, name: str) -> np.ndarray:
    return table[name].to_numpy(zero_copy_only=False)


def _haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def build_world(config: RunConfig, dims: Mapping[str, pa.Table], seed: int) -> World:
    """The World of a run from its configuration and the dimension tables (by gold table name: Dimensions).

    The story: the calendar; the dimensions as arrays; the demand parameters
    (who orders how often, what sells where, in what quantities); then the
    orders of each day, the scenario's disruptions and the orders they add.
    """
    calendar = simulation_calendar(config)
    channels = channel_arrays(dims["gold_channel_dim"])
    locations = location_arrays(dims["gold_location_dim"])
    segments = segment_arrays(config.customers, config.distributions.basket_lines)
    first = first_versions(dims["gold_customer_dim"])      # who orders and how much: the first version (the propensity)
    customers = customer_arrays(first, seed, segments, channels, locations, config.customers)
    products = product_arrays(dims["gold_product_dim"], seed, config.distributions.product_popularity, calendar.day0)

    ordering = ordering_customers(first, segments.segment_orders_per_day[customers.customer_segment],
                                  calendar, config.warmup_days)
    quantities = quantity_arrays(config.distributions.quantity)
    demand = location_demand(config, segments, customers, channels, ordering, quantities.mean_quantity,
                             len(locations.location_key))

    on_sale = on_sale_mass(products, len(calendar.days))
    orders = daily_orders(seed, calendar, ordering)
    disruptions = plan_disruptions(config, products.product_key, locations.location_id, locations.region)
    lifts = lift_orders(seed, disruptions, orders, products.popularity, on_sale, demand.mean_basket_lines, calendar.epoch)

    features = calendar.features
    return World(
        seed=int(seed), start_date=np.datetime64(config.start_date, "D"),
        warmup_days=config.warmup_days, horizon_days=config.horizon_days, plan_days=config.plan_days,
        days=calendar.days, date_key=features["date_key"].astype(np.int32),
        is_weekend=features["is_weekend"].astype(bool), is_holiday=features["is_holiday"].astype(bool),
        is_peak_season=features["is_peak_season"].astype(bool), is_sale_period=features["is_sale_period"].astype(bool),
        seasonality=calendar.seasonality.astype(np.float64), orders_per_day=orders,
        demand_index=demand_index(calendar, ordering, on_sale),
        customer_key=customers.customer_key, customer_segment=customers.customer_segment,
        customer_by_acquisition=ordering.customer_by_acquisition, customer_cdf=ordering.customer_cdf,
        customer_guide=ordering.customer_guide, active_mass=ordering.active_mass,
        customer_channel=customers.customer_channel, customer_in_reach=customers.customer_in_reach,
        customer_home=customers.customer_home,
        customer_versions=version_arrays(dims["gold_customer_dim"], customers, locations, calendar.day0),
        segment_names=segments.segment_names, segment_orders_per_day=segments.segment_orders_per_day,
        segment_basket_max=segments.segment_basket_max, segment_return_probability=segments.segment_return_probability,
        product_key=products.product_key, base_price=products.base_price, unit_cost=products.unit_cost,
        popularity=products.popularity, popularity_cdf=products.popularity_cdf,
        popularity_guide=products.popularity_guide,
        launch_day=products.launch_day, end_of_life_day=products.end_of_life_day,
        location_key=locations.location_key, location_type=locations.location_type,
        location_id=locations.location_id, state_tax_rate=locations.state_tax_rate,
        product_size_chart=products.product_size_chart,
        customer_size_tops=customers.customer_size_tops, customer_size_bottoms=customers.customer_size_bottoms,
        location_city=locations.city, location_region=locations.region,
        location_nodes=locations.nodes_by_location, product_type=products.product_type,
        channel_key=channels.channel_key, channel_code=channels.channel_code,
        channel_is_digital=channels.channel_is_digital,
        location_units_per_day=demand.location_units_per_day, location_return_rate=demand.location_return_rate,
        quantity_units=quantities.quantity_units, quantity_weights=quantities.quantity_weights,
        quantity_pmf=quantities.quantity_pmf, mean_quantity=quantities.mean_quantity,
        mean_basket_lines=demand.mean_basket_lines,
        disruptions=disruptions, lift_day=lifts.lift_day, lift_product=lifts.lift_product,
        lift_orders=lifts.lift_orders, lift_first_order=lifts.lift_first_order,
        config=config,
    )


# ---- the calendar

@dataclass(frozen=True)
class SimulationCalendar:
    """The simulated and planned days and FORECAST_PAD_DAYS more, with their calendar features and demand multiplier."""

    days: np.ndarray                  # datetime64[D]; day 0 is warmup_days before start_date
    features: dict[str, np.ndarray]   # calendar_features of the days
    seasonality: np.ndarray           # day_seasonality of the days
    n_days: int                       # simulated days (warm-up plus horizon): the days before the pad

    @property
    def day0(self) -> np.datetime64:
        return np.datetime64(self.days[0], "D")

    @property
    def epoch(self) -> np.ndarray:
        """Days since 1970-01-01: the day id of hashed draws."""
        return self.days.astype(np.int64)


def simulation_calendar(config: RunConfig) -> SimulationCalendar:
    """Every simulated and planned day and the look-ahead past the last, so replenishment can plan beyond the end."""
    day0 = np.datetime64(config.start_date, "D") - np.timedelta64(config.warmup_days, "D")
    total = max(config.simulated_days, config.planned_days) + FORECAST_PAD_DAYS
    days = day0 + np.arange(total).astype("timedelta64[D]")
    features = calendar_features(days)
    return SimulationCalendar(days, features, day_seasonality(features, config.demand, config.scenario),
                              config.simulated_days)


# ---- the dimensions as arrays (indices, not keys, address customers, products, locations and channels)

@dataclass(frozen=True)
class ChannelArrays:
    channel_key: np.ndarray           # int32
    channel_code: np.ndarray          # object (str)
    channel_is_digital: np.ndarray    # bool


def channel_arrays(channels: pa.Table) -> ChannelArrays:
    return ChannelArrays(
        channel_key=_column(channels, "channel_key").astype(np.int32),
        channel_code=np.asarray(_column(channels, "channel_code"), dtype=object),
        channel_is_digital=_column(channels, "is_digital").astype(bool),
    )


@dataclass(frozen=True)
class LocationArrays:
    location_key: np.ndarray          # int32
    location_type: np.ndarray         # int8 STORE / WAREHOUSE / DC
    location_id: np.ndarray           # object (str)
    state_tax_rate: np.ndarray
    region: np.ndarray                # object (str): where a regional disruption strikes
    city: np.ndarray                  # object (str)
    store_format: np.ndarray          # object (str; None for a warehouse or DC)
    nodes_by_location: np.ndarray     # int16 [location, node]: the digital fulfilment nodes, nearest first

    @property
    def stores(self) -> np.ndarray:
        return np.flatnonzero(self.location_type == STORE)


def location_arrays(locations: pa.Table) -> LocationArrays:
    """The locations and, for each, the warehouses and DCs that would ship its city's digital orders."""
    location_type = np.array([LOCATION_TYPES.index(t) for t in _column(locations, "location_type")], dtype=np.int8)
    is_store = location_type == STORE
    if is_store.all() or not is_store.any():
        raise ValueError("the simulation needs at least one store and one warehouse or DC")
    return LocationArrays(
        location_key=_column(locations, "location_key").astype(np.int32),
        location_type=location_type,
        location_id=np.asarray(_column(locations, "location_id"), dtype=object),
        state_tax_rate=_column(locations, "state_tax_rate").astype(np.float64),
        region=np.asarray(_column(locations, "region"), dtype=object),
        city=np.asarray(_column(locations, "city"), dtype=object),
        store_format=np.asarray(_column(locations, "store_format"), dtype=object),
        nodes_by_location=_nearest_nodes(locations, location_type),
    )


def _nearest_nodes(locations: pa.Table, location_type: np.ndarray) -> np.ndarray:
    """The digital fulfilment nodes (warehouses and DCs) by distance from each location, nearest first."""
    lat = _column(locations, "latitude").astype(np.float64)
    lon = _column(locations, "longitude").astype(np.float64)
    nodes = np.flatnonzero(location_type != STORE)
    distance = _haversine_km(lat[:, None], lon[:, None], lat[nodes][None, :], lon[nodes][None, :])
    return nodes[np.argsort(distance, axis=1, kind="stable")].astype(np.int16)


@dataclass(frozen=True)
class SegmentArrays:
    segment_names: tuple[str, ...]
    segment_orders_per_day: np.ndarray    # a customer's expected orders on a plain day (daily_order_rate)
    segment_basket_max: np.ndarray        # int64 largest basket (lines) of each segment (distributions.basket_lines)
    segment_basket_mean: np.ndarray       # expected lines of an order of each segment
    segment_return_probability: np.ndarray


def segment_arrays(customers: CustomerParams, basket_lines: ByName) -> SegmentArrays:
    names = tuple(customers.segments)
    segments = [customers.segments[s] for s in names]
    baskets = [basket_lines[s] for s in names]
    return SegmentArrays(
        segment_names=names,
        segment_orders_per_day=daily_order_rate(np.array([s.orders_per_30_days for s in segments])),
        segment_basket_max=np.array([b.largest for b in baskets], dtype=np.int64),
        segment_basket_mean=np.array([b.mean for b in baskets]),
        segment_return_probability=np.array([s.return_probability for s in segments]),
    )


@dataclass(frozen=True)
class CustomerArrays:
    customer_key: np.ndarray          # int32
    customer_segment: np.ndarray      # int8 index into segment_names
    customer_channel: np.ndarray      # int8 preferred channel index
    customer_in_reach: np.ndarray     # bool: lives within reach of a store (catchment.within_reach)
    customer_home: np.ndarray         # int16 home store location index
    customer_nodes: np.ndarray        # int16 [C, n_nodes] digital fulfilment nodes, nearest first
    customer_size_tops: np.ndarray    # int8 index into APPAREL_SIZES
    customer_size_bottoms: np.ndarray # int8 index into WAIST_SIZES


def customer_arrays(customers: pa.Table, seed: int, segments: SegmentArrays, channels: ChannelArrays,
                    locations: LocationArrays, reach: CustomerParams) -> CustomerArrays:
    """Each customer's segment, preferred channel, home store and its nodes, profile sizes and city."""
    segment_of = {s: i for i, s in enumerate(segments.segment_names)}
    channel_of = {c: i for i, c in enumerate(channels.channel_code)}
    tops = {size: i for i, size in enumerate(APPAREL_SIZES)}
    bottoms = {size: i for i, size in enumerate(WAIST_SIZES)}
    customer_key = _column(customers, "customer_key").astype(np.int32)
    home = _home_stores(customers, seed, customer_key, locations)
    store_formats = list(locations.store_format[locations.stores])
    return CustomerArrays(
        customer_key=customer_key,
        customer_segment=np.array([segment_of[s] for s in _column(customers, "segment")], dtype=np.int8),
        customer_channel=np.array([channel_of[c] for c in _column(customers, "preferred_channel")], dtype=np.int8),
        customer_in_reach=within_reach(seed, customer_key, reach.customer_count, store_formats,
                                       reach.standard_store_customers),
        customer_home=home,
        # customers live in their home store's city: their digital nodes are that city's nearest nodes
        customer_nodes=locations.nodes_by_location[home],
        customer_size_tops=np.array([tops[s] for s in _column(customers, "size_profile_tops")], dtype=np.int8),
        customer_size_bottoms=np.array([bottoms[s] for s in _column(customers, "size_profile_bottoms")], dtype=np.int8),
    )


def version_arrays(versions: pa.Table, customers: CustomerArrays, locations: LocationArrays,
                   day0: np.datetime64) -> CustomerVersions:
    """Every row of gold_customer_dim as the walk and the table modules look it up: its customer, first day, key
    and home store. The dimension is the one record of the customers' history (customer_history decides it)."""
    key = _column(versions, "customer_key").astype(np.int64)
    by_key = np.argsort(customers.customer_key, kind="stable")
    customer = by_key[np.searchsorted(customers.customer_key[by_key], key % VERSION_KEY_STRIDE)]
    later = key >= VERSION_KEY_STRIDE
    first_day = np.where(later, _day_index(versions["effective_date"], day0, 0), -1)
    moved_to = pc.index_in(versions["nearest_store_id"], pa.array(locations.location_id, pa.string())).to_numpy(
        zero_copy_only=False)
    home = np.where(later, moved_to, customers.customer_home[customer])      # a first version's: _home_stores
    lookup = CustomerVersions.lookup_keys(customer, first_day)
    order = np.argsort(lookup, kind="stable")
    return CustomerVersions(lookup=lookup[order], key=key[order].astype(np.int32), home=home[order].astype(np.int16))


def _home_stores(customers: pa.Table, seed: int, customer_key: np.ndarray, locations: LocationArrays) -> np.ndarray:
    """int16 home store of each customer: its nearest_store_id, or a hashed store where that is no store of the run."""
    location_by_id = {lid: i for i, lid in enumerate(locations.location_id)}
    home = np.array([location_by_id.get(s, -1) for s in _column(customers, "nearest_store_id")], dtype=np.int64)
    stores = locations.stores
    fallback = stores[hashing.integers(seed, "world.home_store", 0, len(stores) - 1, customer_key)]
    home = np.where((home >= 0) & (home < len(locations.location_type)), home, fallback)
    return np.where(locations.location_type[home] == STORE, home, fallback).astype(np.int16)


@dataclass(frozen=True)
class ProductArrays:
    product_key: np.ndarray           # int32, sorted
    base_price: np.ndarray
    unit_cost: np.ndarray
    popularity: np.ndarray            # normalised demand weights
    popularity_cdf: np.ndarray
    popularity_guide: np.ndarray      # sampling_guide(popularity_cdf)
    launch_day: np.ndarray            # int32 first day the product can be ordered
    end_of_life_day: np.ndarray       # int32 first day it can no longer be ordered or reordered (NEVER if none)
    product_size_chart: np.ndarray    # int8 NOT_APPAREL, TOPS_CHART or BOTTOMS_CHART
    product_type: np.ndarray          # object (str) category_level_3


def product_arrays(products: pa.Table, seed: int, popularity: Zipf | LogNormal, day0: np.datetime64) -> ProductArrays:
    """The catalogue, with each product's demand weight and the days it is on sale."""
    product_key = _column(products, "product_key").astype(np.int32)
    if not np.array_equal(np.argsort(product_key, kind="stable"), np.arange(len(product_key))):
        raise ValueError("gold_product_dim must be sorted by product_key")
    weights, cdf = _popularity(popularity, seed, product_key)
    return ProductArrays(
        product_key=product_key,
        base_price=_column(products, "base_price").astype(np.float64),
        unit_cost=_column(products, "unit_cost").astype(np.float64),
        popularity=weights,
        popularity_cdf=cdf,
        popularity_guide=sampling_guide(cdf, 64),
        launch_day=np.maximum(_day_index(products["launch_date"], day0, 0), 0).astype(np.int32),
        end_of_life_day=_day_index(products["end_of_life_date"], day0, NEVER),
        product_size_chart=_size_charts(products),
        product_type=np.asarray(_column(products, "category_level_3"), dtype=object),
    )


def _popularity(declared: Zipf | LogNormal, seed: int, product_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised demand weights and their CDF: Zipf weighs a product by its rank in a hashed permutation,
    lognormal draws one weight per product."""
    if isinstance(declared, Zipf):
        rank = np.empty(len(product_key), dtype=np.int64)
        rank[np.argsort(hashing.hash64(seed, "world.popularity", product_key), kind="stable")] = np.arange(len(product_key))
        weights = declared.weights(rank)
    else:
        weights = declared.draw(seed, "world.popularity_weight", product_key)
    weights /= weights.sum()
    return weights, np.cumsum(weights) / weights.sum()


def _size_charts(products: pa.Table) -> np.ndarray:
    """Each product's size chart: letter sizes for apparel worn on top, waist sizes for bottoms, none off apparel."""
    level_1 = np.asarray(_column(products, "category_level_1"), dtype=object)
    level_2 = np.asarray(_column(products, "category_level_2"), dtype=object)
    chart = np.array([CHART_OF_LEVEL_2.get(c, NOT_APPAREL) for c in level_2], dtype=np.int8)
    return np.where(level_1 == "apparel", chart, NOT_APPAREL).astype(np.int8)


# ---- the demand parameters

@dataclass(frozen=True)
class OrderingCustomers:
    """Who places each order: customers drawn by order rate among those acquired by the order's day."""

    customer_by_acquisition: np.ndarray   # int64 customer indices by acquisition day (stable)
    customer_cdf: np.ndarray              # float64 cumulative order rates in that order (normalised)
    customer_guide: np.ndarray            # sampling_guide(customer_cdf)
    active_mass: np.ndarray               # per calendar day: customer_cdf mass of the customers acquired by then
    order_rate: np.ndarray                # per customer: expected orders on a plain day
    total_rate: float                     # their sum: a plain day's expected orders once every customer is acquired


def ordering_customers(customers: pa.Table, order_rate: np.ndarray, calendar: SimulationCalendar,
                       warmup_days: int) -> OrderingCustomers:
    """Customers order from their acquisition day, so the acquired are a prefix in acquisition order.

    Customers acquired before start_date order from the first warm-up day: the warm-up only settles stock.
    """
    acquisition_day = _day_index(customers["acquisition_date"], calendar.day0, 0)
    acquisition_day = np.where(acquisition_day < warmup_days, 0, acquisition_day)
    by_acquisition = np.argsort(acquisition_day, kind="stable")
    cumulative = np.cumsum(order_rate[by_acquisition])
    total_rate = float(cumulative[-1])
    cdf = cumulative / total_rate
    acquired = np.searchsorted(acquisition_day[by_acquisition], np.arange(len(calendar.days)), side="right")
    active_mass = np.where(acquired >= len(cdf), 1.0, cdf[np.maximum(acquired - 1, 0)] * (acquired > 0))
    return OrderingCustomers(by_acquisition, cdf, sampling_guide(cdf), active_mass, order_rate, total_rate)


@dataclass(frozen=True)
class QuantityArrays:
    quantity_units: np.ndarray        # int64 quantities of distributions.quantity, in declared order
    quantity_weights: np.ndarray      # their weights, normalised: the draw of a line's quantity
    quantity_pmf: np.ndarray          # P(quantity = 1, 2, ...), for the replenishment model
    mean_quantity: float


def quantity_arrays(quantity: Categorical) -> QuantityArrays:
    units = quantity.values()
    weights = np.asarray(quantity.weights, dtype=np.float64)
    weights = weights / weights.sum()
    return QuantityArrays(units, weights, np.bincount(units - 1, weights), float(np.dot(units, weights)))


@dataclass(frozen=True)
class LocationDemand:
    """The analytic demand model replenishment plans for, per location (seasonality 1, popularity 1)."""

    location_units_per_day: np.ndarray
    location_return_rate: np.ndarray      # expected share of sold units returned
    mean_basket_lines: float              # expected lines of an order


def location_demand(config: RunConfig, segments: SegmentArrays, customers: CustomerArrays, channels: ChannelArrays,
                    ordering: OrderingCustomers, mean_quantity: float, n_locations: int) -> LocationDemand:
    """A customer's store lines go to the home store, the digital lines that reach stock to its first node."""
    basket_mean = segments.segment_basket_mean[customers.customer_segment]
    lines_per_day = ordering.order_rate * basket_mean              # per customer
    p_store = _store_share(config.demand.channel_loyalty_rate, channels, customers.customer_channel,
                           customers.customer_in_reach)
    store = lines_per_day * p_store
    digital = lines_per_day * (1 - p_store) * _digital_conversion(config.carts)
    home, first_node = customers.customer_home, customers.customer_nodes[:, 0]
    lines = np.bincount(home, store, minlength=n_locations) + np.bincount(first_node, digital, minlength=n_locations)
    returns = segments.segment_return_probability[customers.customer_segment]
    digital_returns = np.minimum(returns + config.customers.digital_return_uplift_rate, 1)
    returned = (np.bincount(home, store * returns, minlength=n_locations)
                + np.bincount(first_node, digital * digital_returns, minlength=n_locations))
    return LocationDemand(
        location_units_per_day=lines * mean_quantity,
        location_return_rate=returned / np.maximum(lines, 1e-12),
        mean_basket_lines=float(np.dot(ordering.order_rate, basket_mean) / ordering.total_rate),
    )


def _store_share(loyalty: float, channels: ChannelArrays, customer_channel: np.ndarray,
                 in_reach: np.ndarray) -> np.ndarray:
    """Each customer's chance that an order goes through a store channel: the preferred channel with
    probability `loyalty`, otherwise any other channel alike; never, for a customer no store reaches."""
    k = len(channels.channel_code)
    n_store_channels = int((~channels.channel_is_digital).sum())
    share = np.where(
        ~channels.channel_is_digital[customer_channel],
        loyalty + (1 - loyalty) * (n_store_channels - 1) / max(k - 1, 1),
        (1 - loyalty) * n_store_channels / max(k - 1, 1),
    )
    return np.where(in_reach, share, 0.0)


def _digital_conversion(carts: CartParams) -> float:
    """How often a digital cart's lines reach stock: not abandoned, or abandoned and recovered."""
    recovery_share = (
        carts.recovery_email_sent_rate * carts.recovery_email_open_rate
        * carts.recovery_email_click_rate * carts.recovery_purchase_rate
    )
    abandonment = min(carts.abandonment_base_rate + carts.low_inventory_uplift_rate / 2, 1.0)
    return 1 - abandonment * (1 - recovery_share)


# ---- the orders of each day

def on_sale_mass(products: ProductArrays, total_days: int) -> np.ndarray:
    """Popularity mass of the products on sale each calendar day: lines only go to those."""
    delta = np.zeros(total_days + 1)
    np.add.at(delta, np.clip(products.launch_day, 0, total_days), products.popularity)
    np.add.at(delta, np.clip(products.end_of_life_day, 0, total_days), -products.popularity)
    return np.maximum(np.cumsum(delta)[:total_days], 1e-9)


def demand_index(calendar: SimulationCalendar, ordering: OrderingCustomers, on_sale: np.ndarray) -> np.ndarray:
    """Each calendar day's seasonality, for the customers acquired by then, over the popularity mass on sale."""
    return (calendar.seasonality * ordering.active_mass / on_sale).astype(np.float64)


def daily_orders(seed: int, calendar: SimulationCalendar, ordering: OrderingCustomers) -> np.ndarray:
    """int64 orders placed each simulated day: Poisson around the expected orders of the customers acquired by then."""
    n_days = calendar.n_days
    mean = expected_orders(ordering.total_rate * ordering.active_mass[:n_days], calendar.seasonality[:n_days])
    epoch = calendar.epoch
    return np.array([hashing.generator(seed, "demand.orders", int(epoch[d])).poisson(mean[d])
                     for d in range(calendar.n_days)], dtype=np.int64)


@dataclass(frozen=True)
class LiftOrders:
    """The extra single-line orders the scenario's demand lifts bring, by (day, product)."""

    lift_day: np.ndarray              # int32 simulation day
    lift_product: np.ndarray          # int32 product index
    lift_orders: np.ndarray           # int64 extra orders of that product that day
    lift_first_order: np.ndarray      # int64 order number of the first of them


def lift_orders(seed: int, disruptions: Disruptions, orders_per_day: np.ndarray, popularity: np.ndarray,
                on_sale_mass: np.ndarray, mean_basket_lines: float, epoch: np.ndarray) -> LiftOrders:
    """Extra single-line orders of each lifted product and day: Poisson((factor - 1) x the product's expected lines).

    Decided once for the whole catalogue, day by day, and numbered after the
    day's regular orders, so order numbers are unique within a day whichever
    block serves the product, and stay below the recovered orders' numbers.
    """
    products = disruptions.lifted_products()
    n_days = len(orders_per_day)
    day = np.repeat(np.arange(n_days, dtype=np.int32), len(products))
    product = np.tile(products.astype(np.int32), n_days)
    factor = disruptions.demand_factor(product, day)
    lifted = factor > 1
    day, product, factor = day[lifted], product[lifted], factor[lifted]
    share = popularity[product] / on_sale_mass[day]              # a line's chance to be this product that day
    mean = (factor - 1) * orders_per_day[day] * mean_basket_lines * share
    count = np.zeros(len(day), dtype=np.int64)
    for d in np.unique(day):
        today = np.flatnonzero(day == d)
        count[today] = hashing.generator(seed, "demand.lift", int(epoch[d])).poisson(mean[today])
    before = np.cumsum(count) - count                            # lift orders of earlier entries
    first = orders_per_day[day] + before - before[np.searchsorted(day, day)]   # numbering restarts every day
    if len(count) and int((first + count).max()) > MAX_ORDERS_PER_DAY + 1:
        raise ValueError(f"the demand lifts of this run bring more than {MAX_ORDERS_PER_DAY:,} orders on a day; "
                         "lower anomalies.demand_spike_* or scenario.shock_*")
    return LiftOrders(lift_day=day, lift_product=product, lift_orders=count, lift_first_order=first)
