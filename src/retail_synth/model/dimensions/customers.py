"""Customers: segment, home city next to a store, preferences and loyalty, and their versions.

`build_customer_dim` draws each customer's first version; `customer_versions`
writes every version the run's customer history decided (SCD type 2).

Names come from pools built once per seed with Faker and are indexed by
hashed customer keys, so generation stays vectorised (Faker manages about
10K names per second) and reproducible.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

from retail_synth.model.dimensions.catchment import STORE_FORMAT_WEIGHTS, within_reach
from retail_synth.model.dimensions.products import CATEGORY_LEVEL_2, SUBCATEGORIES
from retail_synth.model.simulation.customer_history import CustomerHistory
from retail_synth.spec import hashing
from retail_synth.spec.contracts import to_arrow_table
from retail_synth.spec.distributions import Categorical
from retail_synth.spec.run_config import DistributionParams, Segment
from retail_synth.spec.vocabulary import APPAREL_SIZES, CHANNEL_CODES, DIGITAL_CHANNEL_CODES, WAIST_SIZES

NAME_POOL_SIZE = 1000
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
NEW_CUSTOMER_DAYS = 90                 # segment 'new' was acquired within this many days

# segment -> (lifetime value low, high, loyalty tier, P(email opt-in), P(SMS opt-in))
SEGMENT_PROFILES = {
    "vip": (3000.0, 8000.0, "platinum", 0.85, 0.55),
    "premium": (1200.0, 3000.0, "gold", 0.75, 0.40),
    "loyal": (500.0, 1200.0, "silver", 0.65, 0.30),
    "regular": (150.0, 500.0, "bronze", 0.50, 0.20),
    "new": (20.0, 150.0, "none", 0.60, 0.15),
}
TIER_OF_SEGMENT = {segment: profile[2] for segment, profile in SEGMENT_PROFILES.items()}


@lru_cache(maxsize=4)
def name_pools(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last names drawn once per seed."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    first = np.array([fake.first_name() for _ in range(NAME_POOL_SIZE)])
    last = np.array([fake.last_name() for _ in range(NAME_POOL_SIZE)])
    return first, last


def _grown(seed: int, keys: np.ndarray, monthly_rate: float, plan_days: int,
           reference_day: datetime.date) -> tuple[np.ndarray, np.ndarray]:
    """(acquired inside the plan, that acquisition date) of each customer under exponential growth.

    The base at day t is B0 (1 + g)^(t / 30): the customers acquired inside the
    plan are 1 - (1 + g)^(-P / 30) of the final base, and inverting the
    growth curve at a hashed uniform spreads their dates over the plan
    (plan_days, not the written horizon, so the dates do not move with end_date).
    """
    months = plan_days / 30.0
    growth = (1 + monthly_rate) ** months
    joins = hashing.uniform(seed, "customer.growth", keys) < 1 - 1 / growth
    u = hashing.uniform(seed, "customer.growth_day", keys)
    offset = np.floor(30.0 * np.log1p(u * (growth - 1)) / np.log1p(monthly_rate)).astype(np.int64)
    offset = np.clip(offset, 0, plan_days - 1)
    return joins, np.datetime64(reference_day, "D") + offset.astype("timedelta64[D]")


def build_customer_dim(
    customer_count: int,
    seed: int,
    segments: Mapping[str, Segment],
    locations: pa.Table,
    reference_day: datetime.date,
    history_years: int,
    etl_timestamp: datetime.datetime,
    distributions: DistributionParams,
    growth_monthly_rate: float = 0.0,
    plan_days: int = 0,
    standard_store_customers: int | None = None,
) -> pa.Table:
    """Customers living in store cities; acquired before reference_day, 'new' ones recently.

    Channels and size profiles follow their declarations in `distributions`.
    Customers beyond the stores' reach (catchment.within_reach; None: every
    customer is within reach) prefer a digital channel.
    With growth, the base grows by growth_monthly_rate a month over the
    plan from reference_day: the share acquired inside the plan gets
    acquisition dates spread as exponential growth would bring them.
    """
    unknown = sorted(set(segments) - set(SEGMENT_PROFILES))
    if unknown:
        raise ValueError(f"no customer profile for segments {unknown}; known: {sorted(SEGMENT_PROFILES)}")
    keys = np.arange(1, customer_count + 1)
    segment = hashing.choice(seed, "customer.segment", [segments[s].share for s in segments], keys)
    is_new = np.array(list(segments))[segment] == "new"
    acquisition_date = _acquisition_date(seed, keys, is_new, reference_day, history_years)
    if growth_monthly_rate > 0 and plan_days > 0:
        acquisition_date = np.where(*_grown(seed, keys, growth_monthly_rate, plan_days, reference_day), acquisition_date)
    columns = {
        "customer_key": keys.astype(np.int32),
        "customer_id": pc.binary_join_element_wise(
            "CUST", pc.utf8_lpad(pa.array(keys).cast(pa.string()), width=8, padding="0"), "_"
        ),
        **_name_columns(seed, keys),
        **_segment_columns(seed, keys, list(segments), segment),
        "acquisition_date": acquisition_date,
        **_preference_columns(seed, keys, distributions, _reached(seed, keys, locations, standard_store_customers)),
        **_home_columns(seed, keys, locations),
        "segment_spend": pa.nulls(customer_count, pa.float64()),
        "effective_date": acquisition_date,
        "expiration_date": pa.nulls(customer_count, pa.date32()),
        "is_current": np.ones(customer_count, dtype=bool),
        "source_system": np.full(customer_count, "CRM"),
        "etl_timestamp": [etl_timestamp] * customer_count,
    }
    return to_arrow_table("gold_customer_dim", columns)


def _acquisition_date(seed: int, keys: np.ndarray, is_new: np.ndarray, reference_day: datetime.date,
                      history_years: int) -> np.ndarray:
    """Within NEW_CUSTOMER_DAYS before reference_day for 'new' customers, earlier in the history for the others."""
    days_back = np.where(
        is_new,
        hashing.integers(seed, "customer.acquisition_new", 1, NEW_CUSTOMER_DAYS, keys),
        hashing.integers(seed, "customer.acquisition", NEW_CUSTOMER_DAYS + 1, history_years * 365, keys),
    )
    return np.datetime64(reference_day, "D") - days_back.astype("timedelta64[D]")


def _segment_columns(seed: int, keys: np.ndarray, names: list[str], segment: np.ndarray) -> dict[str, np.ndarray]:
    """The segment and what its profile (SEGMENT_PROFILES) gives: lifetime value, loyalty tier, opt-ins."""
    profile = [SEGMENT_PROFILES[s] for s in names]
    ltv_low = np.array([p[0] for p in profile])[segment]
    ltv_high = np.array([p[1] for p in profile])[segment]
    email_share = np.array([p[3] for p in profile])[segment]
    sms_share = np.array([p[4] for p in profile])[segment]
    return {
        "segment": np.array(names)[segment],
        "lifetime_value": np.round(ltv_low + hashing.uniform(seed, "customer.lifetime_value", keys) * (ltv_high - ltv_low), 2),
        "loyalty_tier": np.array([p[2] for p in profile])[segment],
        "email_subscribe_flag": hashing.uniform(seed, "customer.email_opt_in", keys) < email_share,
        "sms_subscribe_flag": hashing.uniform(seed, "customer.sms_opt_in", keys) < sms_share,
    }


def _name_columns(seed: int, keys: np.ndarray) -> dict[str, np.ndarray | pa.Array]:
    """First and last name from the seed's pools; the email is first.last plus the key at an example domain."""
    first_pool, last_pool = name_pools(seed)
    first_name = first_pool[hashing.integers(seed, "customer.first_name", 0, NAME_POOL_SIZE - 1, keys)]
    last_name = last_pool[hashing.integers(seed, "customer.last_name", 0, NAME_POOL_SIZE - 1, keys)]
    local_part = pc.replace_substring_regex(
        pc.utf8_lower(pc.binary_join_element_wise(pa.array(first_name), pa.array(last_name), ".")),
        pattern="[^a-z.]", replacement="",
    )
    domain = np.array(EMAIL_DOMAINS)[hashing.integers(seed, "customer.email_domain", 0, len(EMAIL_DOMAINS) - 1, keys)]
    email = pc.binary_join_element_wise(
        pc.binary_join_element_wise(local_part, pa.array(keys).cast(pa.string()), ""), pa.array(domain), "@"
    )
    return {"first_name": first_name, "last_name": last_name, "email": email}


def _reached(seed: int, keys: np.ndarray, locations: pa.Table, standard_store_customers: int | None) -> np.ndarray:
    if standard_store_customers is None:
        return np.ones(len(keys), bool)
    formats = locations.filter(pc.equal(locations["location_type"], "store"))["store_format"].to_pylist()
    return within_reach(seed, keys, len(keys), formats, standard_store_customers)


def _online(preferred: Categorical) -> Categorical:
    """The preferred-channel declaration among the digital channels only: a customer no store reaches."""
    kept = [(label, weight) for label, weight in zip(preferred.labels, preferred.weights, strict=True)
            if label in DIGITAL_CHANNEL_CODES]
    total = sum(weight for _, weight in kept)
    return Categorical(tuple(label for label, _ in kept),
                       tuple(weight / total if total > 0 else 1 / len(kept) for _, weight in kept))


def _preference_columns(seed: int, keys: np.ndarray, distributions: DistributionParams,
                        reached: np.ndarray) -> dict[str, np.ndarray]:
    """Acquisition and preferred channel, preferred category and profile sizes, as declared in `distributions`."""
    category_weights = [SUBCATEGORIES[c][1] for c in CATEGORY_LEVEL_2]
    channel = distributions.preferred_channel.draw_from(CHANNEL_CODES, seed, "customer.preferred_channel", keys)
    online = _online(distributions.preferred_channel).draw_from(CHANNEL_CODES, seed, "customer.preferred_channel",
                                                                 keys)
    return {
        "acquisition_channel": distributions.acquisition_channel.draw_labels(seed, "customer.acquisition_channel", keys),
        "preferred_channel": np.array(CHANNEL_CODES)[np.where(reached, channel, online)],
        "preferred_category": np.array(CATEGORY_LEVEL_2)[
            hashing.choice(seed, "customer.preferred_category", category_weights, keys)
        ],
        "size_profile_tops": np.array(APPAREL_SIZES)[
            distributions.size_profile_tops.draw_from(APPAREL_SIZES, seed, "customer.size_tops", keys)
        ],
        "size_profile_bottoms": np.array(WAIST_SIZES)[
            distributions.size_profile_bottoms.draw_from(WAIST_SIZES, seed, "customer.size_bottoms", keys)
        ],
    }


def _home_columns(seed: int, keys: np.ndarray, locations: pa.Table) -> dict[str, pa.ChunkedArray]:
    """A home store drawn by format (a flagship draws more customers), and its city and region."""
    stores = locations.filter(pc.equal(locations["location_type"], "store"))
    store_weights = [STORE_FORMAT_WEIGHTS[f] for f in stores["store_format"].to_pylist()]
    home = pa.array(hashing.choice(seed, "customer.home_store", store_weights, keys))
    return {
        "geo_region": stores["region"].take(home),
        "geo_city": stores["city"].take(home),
        "nearest_store_id": stores["location_id"].take(home),
    }


def customer_versions(first: pa.Table, history: CustomerHistory, locations: pa.Table, segment_names: tuple,
                      days: np.ndarray) -> pa.Table:
    """Every version of every customer: the first version's row with what each change changed.

    A version's customer_key numbers it (history.keys); effective_date is the
    first version's acquisition_date, else the day the change took effect;
    expiration_date is the day before the next version's, and only the last
    version of a customer is current.
    """
    rows = first.take(pa.array(history.customer))
    later = history.number > 0
    effective = np.where(later, np.asarray(days, dtype="datetime64[D]")[np.maximum(history.first_day, 0)],
                         rows["acquisition_date"].to_numpy(zero_copy_only=False).astype("datetime64[D]"))
    last = np.append(history.customer[1:] != history.customer[:-1], True)
    expiration = pa.array(np.append(effective[1:], effective[:1]) - np.timedelta64(1, "D"), pa.date32(), mask=last)
    segment = pa.array(history.segment.astype(np.int32))
    home = pa.array(history.home)
    changed = {
        "customer_key": history.keys(first["customer_key"].to_numpy().astype(np.int64)),
        "segment": pa.array(list(segment_names), pa.string()).take(segment),
        "loyalty_tier": pa.array([TIER_OF_SEGMENT[s] for s in segment_names], pa.string()).take(segment),
        "geo_region": locations["region"].take(home),
        "geo_city": locations["city"].take(home),
        "nearest_store_id": locations["location_id"].take(home),
        "email_subscribe_flag": history.email,
        "sms_subscribe_flag": history.sms,
        "segment_spend": pa.array(np.round(history.spend, 2), pa.float64(), mask=np.isnan(history.spend)),
        "effective_date": effective,
        "expiration_date": expiration,
        "is_current": last,
    }
    columns = {name: changed.get(name, rows[name]) for name in rows.column_names}
    return to_arrow_table("gold_customer_dim", columns)
