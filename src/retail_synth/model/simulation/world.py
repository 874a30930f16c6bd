"""The simulation world: everything a block simulation needs, as plain numpy arrays.

`build_world` runs once on the driver. It turns the dimension tables and the
configuration into a picklable `World` (a few MB at most) that travels to the
tasks inside the Spark functions that need it (no broadcast variable, so Spark
Connect works the same); the walk is then a pure function of the world.

Day indices: simulation day 0 is `warmup_days` before start_date; the written
horizon is days [warmup_days, warmup_days + horizon_days). Calendar arrays
run FORECAST_PAD_DAYS further so replenishment can look ahead past the end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from retail_synth.model.dimensions.calendar import (
    BLACK_FRIDAY,
    CYBER_MONDAY,
    calendar_features,
)
from retail_synth.model.simulation.disruptions import Disruptions, plan_disruptions
from retail_synth.spec import hashing
from retail_synth.spec.distributions import LogNormal, Zipf
from retail_synth.spec.ids import MAX_ORDERS_PER_DAY
from retail_synth.spec.run_config import (
    FORECAST_PAD_DAYS,
    DemandParams,
    RunConfig,
    ScenarioParams,
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

    # calendar, per simulation day (n_days + FORECAST_PAD_DAYS entries)
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
    customer_home: np.ndarray         # int16 home store location index
    customer_nodes: np.ndarray        # int16 [C, n_nodes] digital fulfilment nodes, nearest first
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

    # customer events (gold_customer_event_fact), read from the dimensions
    customer_geo_city: np.ndarray     # object (str) geo_city of gold_customer_dim
    customer_geo_region: np.ndarray   # object (str) geo_region of gold_customer_dim
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


def _haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def _size_fields(products: pa.Table, customers: pa.Table) -> dict[str, np.ndarray]:
    """Each product's size chart and each customer's profile size in both charts, from the dimensions."""
    level_1 = np.asarray(_column(products, "category_level_1"), dtype=object)
    level_2 = np.asarray(_column(products, "category_level_2"), dtype=object)
    chart = np.array([CHART_OF_LEVEL_2.get(c, NOT_APPAREL) for c in level_2], dtype=np.int8)
    tops = {size: i for i, size in enumerate(APPAREL_SIZES)}
    bottoms = {size: i for i, size in enumerate(WAIST_SIZES)}
    return {
        "product_size_chart": np.where(level_1 == "apparel", chart, NOT_APPAREL).astype(np.int8),
        "customer_size_tops": np.array([tops[s] for s in _column(customers, "size_profile_tops")], dtype=np.int8),
        "customer_size_bottoms": np.array([bottoms[s] for s in _column(customers, "size_profile_bottoms")], dtype=np.int8),
    }


def day_seasonality(cal: dict[str, np.ndarray], demand: DemandParams, scenario: ScenarioParams) -> np.ndarray:
    """The demand multiplier of each day of `cal` (calendar_features): its uplifts and the scenario's peak multiplied."""
    return (
        (1 + demand.weekend_uplift_rate * cal["is_weekend"])
        * (1 + demand.holiday_uplift_rate * cal["is_holiday"])
        * (1 + demand.peak_season_uplift_rate * cal["is_peak_season"])
        * (1 + demand.sale_period_uplift_rate * cal["is_sale_period"])
        * np.where(cal["holiday_name"] == BLACK_FRIDAY, demand.black_friday_demand_factor, 1.0)
        * np.where(cal["holiday_name"] == CYBER_MONDAY, demand.cyber_monday_demand_factor, 1.0)
        * np.where(cal["is_peak_season"], scenario.peak_demand_factor, 1.0)
    )


def lift_orders(seed: int, disruptions: Disruptions, orders_per_day: np.ndarray, popularity: np.ndarray,
                on_sale_mass: np.ndarray, mean_basket_lines: float, epoch: np.ndarray) -> dict[str, np.ndarray]:
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
    return {"lift_day": day, "lift_product": product, "lift_orders": count, "lift_first_order": first}
def _popularity_weights(declared: Zipf | LogNormal, seed: int, product_key: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Unnormalised demand weights: Zipf weighs a product by its hashed rank, lognormal draws one per product."""
    if isinstance(declared, Zipf):
        return declared.weights(rank)
    return declared.draw(seed, "world.popularity_weight", product_key)


def build_world(config: RunConfig, dims: dict[str, pa.Table], seed: int) -> World:
    """The World of a run from its configuration and the dimension tables (by gold table name)."""
    customers = dims["gold_customer_dim"]
    products = dims["gold_product_dim"]
    locations = dims["gold_location_dim"]
    channels = dims["gold_channel_dim"]

    start = np.datetime64(config.start_date, "D")
    warmup = config.warmup_days
    horizon = config.horizon_days
    n_days = warmup + horizon
    day0 = start - np.timedelta64(warmup, "D")
    days = day0 + np.arange(n_days + FORECAST_PAD_DAYS).astype("timedelta64[D]")

    demand = config.demand
    cal = calendar_features(days)
    seasonality = day_seasonality(cal, demand, config.scenario)

    # --- channels
    channel_key = _column(channels, "channel_key").astype(np.int32)
    channel_code = np.asarray(_column(channels, "channel_code"), dtype=object)
    channel_is_digital = _column(channels, "is_digital").astype(bool)
    channel_index = {c: i for i, c in enumerate(channel_code)}

    # --- locations
    location_key = _column(locations, "location_key").astype(np.int32)
    location_type = np.array([LOCATION_TYPES.index(t) for t in _column(locations, "location_type")], dtype=np.int8)
    location_id = np.asarray(_column(locations, "location_id"), dtype=object)
    lat = _column(locations, "latitude").astype(np.float64)
    lon = _column(locations, "longitude").astype(np.float64)
    nodes = np.flatnonzero(location_type != STORE)
    stores = np.flatnonzero(location_type == STORE)
    if len(nodes) == 0 or len(stores) == 0:
        raise ValueError("the simulation needs at least one store and one warehouse or DC")
    # digital fulfilment nodes of each location's city, nearest first
    distance = _haversine_km(lat[:, None], lon[:, None], lat[nodes][None, :], lon[nodes][None, :])
    nodes_by_location = nodes[np.argsort(distance, axis=1, kind="stable")].astype(np.int16)

    # --- customers
    segment_names = tuple(config.customers.segments)
    segs = [config.customers.segments[s] for s in segment_names]
    seg_index = {s: i for i, s in enumerate(segment_names)}
    customer_segment = np.array([seg_index[s] for s in _column(customers, "segment")], dtype=np.int8)
    seg_rate = np.array([s.orders_per_30_days / 30.0 for s in segs])
    baskets = [config.distributions.basket_lines[s] for s in segment_names]
    seg_max = np.array([b.largest for b in baskets], dtype=np.int64)
    seg_return = np.array([s.return_probability for s in segs])
    customer_channel = np.array([channel_index[c] for c in _column(customers, "preferred_channel")], dtype=np.int8)
    location_by_id = {lid: i for i, lid in enumerate(location_id)}
    customer_key = _column(customers, "customer_key").astype(np.int32)
    home = np.array([location_by_id.get(s, -1) for s in _column(customers, "nearest_store_id")], dtype=np.int64)
    fallback = stores[hashing.integers(seed, "world.home_store", 0, len(stores) - 1, customer_key)]
    customer_home = np.where((home >= 0) & (home < len(location_type)), home, fallback)
    customer_home = np.where(location_type[customer_home] == STORE, customer_home, fallback).astype(np.int16)
    # customers live in their home store's city: their digital nodes are that city's nearest nodes
    customer_nodes = nodes_by_location[customer_home]
    weights = seg_rate[customer_segment]
    # customers order from their acquisition day: drawn among the acquired, who are a prefix in this order
    # (customers acquired before start_date order from the first warm-up day: the warm-up only settles stock)
    acquisition_day = _day_index(customers["acquisition_date"], day0, 0)
    acquisition_day = np.where(acquisition_day < warmup, 0, acquisition_day)
    customer_by_acquisition = np.argsort(acquisition_day, kind="stable")
    customer_cdf = np.cumsum(weights[customer_by_acquisition])
    total_rate = float(customer_cdf[-1])
    customer_cdf = customer_cdf / total_rate
    acquired = np.searchsorted(acquisition_day[customer_by_acquisition], np.arange(n_days), side="right")
    active_mass = np.where(acquired >= len(customer_cdf), 1.0, customer_cdf[np.maximum(acquired - 1, 0)] * (acquired > 0))

    # --- products
    product_key = _column(products, "product_key").astype(np.int32)
    order = np.argsort(product_key, kind="stable")
    if not np.array_equal(order, np.arange(len(order))):
        raise ValueError("gold_product_dim must be sorted by product_key")
    rank = np.empty(len(product_key), dtype=np.int64)
    rank[np.argsort(hashing.hash64(seed, "world.popularity", product_key), kind="stable")] = np.arange(len(product_key))
    popularity = _popularity_weights(config.distributions.product_popularity, seed, product_key, rank)
    popularity /= popularity.sum()
    popularity_cdf = np.cumsum(popularity) / popularity.sum()
    launch_day = np.maximum(_day_index(products["launch_date"], day0, 0), 0).astype(np.int32)
    end_of_life_day = _day_index(products["end_of_life_date"], day0, NEVER)

    # popularity mass of the products on sale each day: lines only go to those
    total_days = len(days)
    delta = np.zeros(total_days + 1)
    np.add.at(delta, np.clip(launch_day, 0, total_days), popularity)
    np.add.at(delta, np.clip(end_of_life_day, 0, total_days), -popularity)
    on_sale_mass = np.maximum(np.cumsum(delta)[:total_days], 1e-9)
    active = np.r_[active_mass, np.full(total_days - n_days, active_mass[-1])]

    # --- orders per day: Poisson(sum of customer order rates x seasonality)
    epoch = days.astype(np.int64)
    orders_per_day = np.array(
        [hashing.generator(seed, "demand.orders", int(epoch[d])).poisson(total_rate * active_mass[d] * seasonality[d])
         for d in range(n_days)],
        dtype=np.int64,
    )

    # --- analytic demand per location (season 1, popularity 1): lines routed to the first node
    loyalty = demand.channel_loyalty_rate
    k = len(channel_code)
    pref_store = ~channel_is_digital[customer_channel]
    n_store_channels = int((~channel_is_digital).sum())
    p_store = np.where(
        pref_store,
        loyalty + (1 - loyalty) * (n_store_channels - 1) / max(k - 1, 1),
        (1 - loyalty) * n_store_channels / max(k - 1, 1),
    )
    basket_mean = np.array([b.mean for b in baskets])
    lines_per_day = weights * basket_mean[customer_segment]           # per customer
    m = len(location_key)
    store_lines = np.bincount(customer_home, lines_per_day * p_store, minlength=m)
    carts = config.carts
    recovery_share = (
        carts.recovery_email_sent_rate * carts.recovery_email_open_rate
        * carts.recovery_email_click_rate * carts.recovery_purchase_rate
    )
    abandonment = min(carts.abandonment_base_rate + carts.low_inventory_uplift_rate / 2, 1.0)
    digital_conversion = 1 - abandonment * (1 - recovery_share)   # a cart's lines reach stock this often
    digital_lines = np.bincount(customer_nodes[:, 0], lines_per_day * (1 - p_store) * digital_conversion, minlength=m)
    quantity_units = config.distributions.quantity.values()
    quantity_weights = np.asarray(config.distributions.quantity.weights, dtype=np.float64)
    quantity_weights = quantity_weights / quantity_weights.sum()
    quantity_pmf = np.bincount(quantity_units - 1, quantity_weights)
    mean_quantity = float(np.dot(quantity_units, quantity_weights))
    location_units_per_day = (store_lines + digital_lines) * mean_quantity

    mean_basket_lines = float(np.dot(weights, basket_mean[customer_segment]) / total_rate)
    disruptions = plan_disruptions(config, product_key, location_id, _column(locations, "region"))

    uplift = config.customers.digital_return_uplift_rate
    ret = seg_return[customer_segment]
    store_ret = np.bincount(customer_home, lines_per_day * p_store * ret, minlength=m)
    digital_ret = np.bincount(customer_nodes[:, 0], lines_per_day * (1 - p_store) * digital_conversion * np.minimum(ret + uplift, 1),
                              minlength=m)
    location_return_rate = (store_ret + digital_ret) / np.maximum(store_lines + digital_lines, 1e-12)

    return World(
        seed=int(seed),
        start_date=start,
        warmup_days=warmup,
        horizon_days=horizon,
        days=days,
        date_key=cal["date_key"].astype(np.int32),
        is_weekend=cal["is_weekend"].astype(bool),
        is_holiday=cal["is_holiday"].astype(bool),
        is_peak_season=cal["is_peak_season"].astype(bool),
        is_sale_period=cal["is_sale_period"].astype(bool),
        seasonality=seasonality.astype(np.float64),
        demand_index=(seasonality * active / on_sale_mass).astype(np.float64),
        orders_per_day=orders_per_day,
        customer_key=customer_key,
        customer_segment=customer_segment,
        customer_by_acquisition=customer_by_acquisition,
        customer_cdf=customer_cdf,
        customer_guide=sampling_guide(customer_cdf),
        active_mass=active_mass,
        customer_channel=customer_channel,
        customer_home=customer_home,
        customer_nodes=customer_nodes,
        segment_names=segment_names,
        segment_orders_per_day=seg_rate,
        segment_basket_max=seg_max,
        segment_return_probability=seg_return,
        product_key=product_key,
        base_price=_column(products, "base_price").astype(np.float64),
        unit_cost=_column(products, "unit_cost").astype(np.float64),
        popularity=popularity,
        popularity_cdf=popularity_cdf,
        popularity_guide=sampling_guide(popularity_cdf, 64),
        launch_day=launch_day,
        end_of_life_day=end_of_life_day,
        location_key=location_key,
        location_type=location_type,
        location_id=location_id,
        state_tax_rate=_column(locations, "state_tax_rate").astype(np.float64),
        **_size_fields(products, customers),
        customer_geo_city=np.asarray(_column(customers, "geo_city"), dtype=object),
        customer_geo_region=np.asarray(_column(customers, "geo_region"), dtype=object),
        product_type=np.asarray(_column(products, "category_level_3"), dtype=object),
        channel_key=channel_key,
        channel_code=channel_code,
        channel_is_digital=channel_is_digital,
        location_units_per_day=location_units_per_day,
        location_return_rate=location_return_rate,
        quantity_units=quantity_units,
        quantity_weights=quantity_weights,
        quantity_pmf=quantity_pmf,
        mean_quantity=mean_quantity,
        mean_basket_lines=mean_basket_lines,
        disruptions=disruptions,
        **lift_orders(seed, disruptions, orders_per_day, popularity, on_sale_mass, mean_basket_lines, epoch),
        config=config,
    )


def reference_dimensions(config: RunConfig, etl_timestamp: dt.datetime | None = None) -> dict[str, pa.Table]:
    """The four dimensions build_world reads, from the project's builders (for tests and scripts)."""
    from retail_synth.model.dimensions.channels import build_channel_dim
    from retail_synth.model.dimensions.customers import build_customer_dim
    from retail_synth.model.dimensions.locations import build_location_dim
    from retail_synth.model.dimensions.products import build_product_dim

    etl_timestamp = etl_timestamp or dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    seed = config.seed
    locations = build_location_dim(config.locations.location_count, seed, etl_timestamp)
    return {
        "gold_channel_dim": build_channel_dim(etl_timestamp),
        "gold_location_dim": locations,
        "gold_product_dim": build_product_dim(
            config.products.product_count, seed, config.start_date, config.horizon_days,
            config.products.active_share, etl_timestamp, config.distributions,
        ),
        "gold_customer_dim": build_customer_dim(
            config.customers.customer_count, seed, config.customers.segments, locations,
            config.start_date, config.customers.history_years, etl_timestamp, config.distributions,
            config.scenario.growth_monthly_rate, config.horizon_days,
        ),
    }
