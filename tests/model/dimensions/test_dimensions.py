"""Dimension builders: contract shape, internal consistency and seed reproducibility."""

import datetime

import numpy as np
import pyarrow.compute as pc
import pytest

from retail_synth.model.dimensions.channels import build_channel_dim, channel_keys
from retail_synth.model.dimensions.customers import build_customer_dim
from retail_synth.model.dimensions.locations import MAX_LOCATIONS, build_location_dim
from retail_synth.model.dimensions.products import (
    MATERIALS,
    SUBCATEGORIES,
    build_product_dim,
)
from retail_synth.model.dimensions.time_of_day import build_time_dim
from retail_synth.spec.configuration import resolve
from retail_synth.spec.contracts import arrow_schema
from retail_synth.spec.run_config import Segment
from retail_synth.spec.vocabulary import CHANNEL_CODES

ETL = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
REFERENCE_DAY = datetime.date(2025, 1, 1)
SEGMENTS = resolve(preset="tiny").customers.segments
DECLARED = resolve(preset="tiny").distributions

# city -> (latitude, longitude) of the city centre, independent of the generator's table
TRUE_COORDINATES = {
    "New York": (40.71, -74.01), "Los Angeles": (34.05, -118.24), "Chicago": (41.88, -87.63),
    "Miami": (25.76, -80.19), "Dallas": (32.78, -96.80), "Boston": (42.36, -71.06),
    "Seattle": (47.61, -122.33), "Atlanta": (33.75, -84.39), "Orlando": (28.54, -81.38),
    "Las Vegas": (36.17, -115.14), "Newark": (40.74, -74.17), "Ontario": (34.06, -117.65),
    "Columbus": (39.96, -83.00),
}


@pytest.fixture(scope="module")
def locations():
    return build_location_dim(13, 42, ETL)


@pytest.fixture(scope="module")
def products():
    return build_product_dim(3000, 42, REFERENCE_DAY, 90, 0.95, ETL, DECLARED)


@pytest.fixture(scope="module")
def customers(locations):
    return build_customer_dim(5000, 42, SEGMENTS, locations, REFERENCE_DAY, 5, ETL, DECLARED)


def test_channel_dim():
    table = build_channel_dim(ETL)
    assert table.schema == arrow_schema("gold_channel_dim")
    assert table["channel_code"].to_pylist() == list(CHANNEL_CODES)
    assert table["channel_key"].to_pylist() == list(range(1, 9))
    digital = dict(zip(table["channel_code"].to_pylist(), table["is_digital"].to_pylist(), strict=True))
    assert [c for c, d in digital.items() if not d] == ["STORE_POS", "STORE_KIOSK"]
    owned = dict(zip(table["channel_code"].to_pylist(), table["is_owned"].to_pylist(), strict=True))
    assert [c for c, o in owned.items() if not o] == ["SOCIAL_FB", "MARKETPLACE_AMAZON"]
    assert channel_keys(["MARKETPLACE_AMAZON", "WEB_DESKTOP", "STORE_POS"]).tolist() == [8, 1, 5]
    with pytest.raises(ValueError):
        channel_keys(["FAX"])


def test_time_dim():
    table = build_time_dim()
    assert table.schema == arrow_schema("gold_time_dim")
    assert table.num_rows == 96
    rows = {r["time_key"]: r for r in table.to_pylist()}
    assert len(rows) == 96
    assert rows[1345]["hour_minute"] == "13:45" and rows[1345]["hour_12"] == 1 and rows[1345]["am_pm"] == "PM"
    assert rows[0]["hour_12"] == 12 and rows[0]["am_pm"] == "AM" and rows[0]["period_of_day"] == "night"
    assert rows[1200]["hour_12"] == 12 and rows[1200]["is_peak_hours"]
    assert rows[900]["is_business_hours"] and not rows[2100]["is_business_hours"]


def test_reference_locations(locations):
    assert locations.schema == arrow_schema("gold_location_dim")
    assert locations.num_rows == 13
    rows = locations.to_pylist()
    assert [r["location_key"] for r in rows] == list(range(1, 14))
    for r in rows:
        lat, lon = TRUE_COORDINATES[r["city"]]
        assert abs(r["latitude"] - lat) < 0.5 and abs(r["longitude"] - lon) < 0.5, r["city"]
        assert (r["store_format"] is None) == (r["location_type"] != "store")
        assert r["channel"] == ("physical" if r["location_type"] == "store" else "digital")
        assert r["open_date"] < datetime.date(2020, 1, 1) and r["close_date"] is None and r["is_active"]
        assert 0 <= r["selling_sqft"] <= r["total_sqft"]
    by_city = {r["city"]: r for r in rows}
    assert by_city["Miami"]["timezone"] == "America/New_York"
    assert by_city["Atlanta"]["timezone"] == "America/New_York"
    assert by_city["Dallas"]["timezone"] == "America/Chicago"
    assert by_city["Las Vegas"]["timezone"] == "America/Los_Angeles"
    kinds = [(r["location_type"], r["store_format"]) for r in rows]
    assert kinds.count(("store", "flagship")) == 2 and kinds.count(("store", "outlet")) == 2
    assert kinds.count(("warehouse", None)) == 2 and kinds.count(("dc", None)) == 1
    assert len({r["location_id"] for r in rows}) == 13


def test_extra_locations_are_distinct_cities_chosen_by_seed():
    table = build_location_dim(25, 42, ETL)
    assert table.num_rows == 25
    assert len(set(table["city"].to_pylist())) == 25
    assert len(set(table["location_id"].to_pylist())) == 25
    assert table.equals(build_location_dim(25, 42, ETL))
    assert table["city"].to_pylist() != build_location_dim(25, 7, ETL)["city"].to_pylist()
    assert build_location_dim(MAX_LOCATIONS, 42, ETL).num_rows == MAX_LOCATIONS
    for bad in (12, MAX_LOCATIONS + 1):
        with pytest.raises(ValueError, match="between 13 and"):
            build_location_dim(bad, 42, ETL)


def test_products_are_internally_consistent(products):
    assert products.schema == arrow_schema("gold_product_dim")
    assert products.num_rows == 3000
    rows = products.to_pylist()
    for name in ("product_key", "product_id", "sku"):
        assert len({r[name] for r in rows}) == 3000
    for r in rows:
        assert r["brand"] in r["product_name"]
        assert SUBCATEGORIES[r["category_level_2"]][0] == r["category_level_1"]
        assert 0 < r["unit_cost"] < r["base_price"]
        assert r["margin_percent"] == round(100 * (r["base_price"] - r["unit_cost"]) / r["base_price"], 2)
        assert r["color_family"] in MATERIALS[r["material_primary"]][2]
        assert r["sustainability_flag"] == MATERIALS[r["material_primary"]][3]
        assert r["launch_date"] < REFERENCE_DAY
        if r["is_active"]:      # a product reaching end of life on the last day is inactive from the day after
            assert r["end_of_life_date"] is None or (r["end_of_life_date"] - REFERENCE_DAY).days == 89
        else:
            assert 0 <= (r["end_of_life_date"] - REFERENCE_DAY).days < 89
    assert sum(r["end_of_life_date"] is not None for r in rows) == 150
    assert {r["category_level_1"] for r in rows} == {"apparel", "accessories", "footwear"}


def test_products_reproducible(products):
    assert products.equals(build_product_dim(3000, 42, REFERENCE_DAY, 90, 0.95, ETL, DECLARED))
    assert not products.equals(build_product_dim(3000, 43, REFERENCE_DAY, 90, 0.95, ETL, DECLARED))


def test_customers(customers, locations):
    assert customers.schema == arrow_schema("gold_customer_dim")
    assert customers.num_rows == 5000
    assert customers["customer_key"].to_pylist() == list(range(1, 5001))
    assert customers["customer_id"][0].as_py() == "CUST_00000001"
    assert len(set(customers["email"].to_pylist())) == 5000
    stores = locations.filter(pc.equal(locations["location_type"], "store")).to_pylist()
    store_city = {s["location_id"]: s["city"] for s in stores}
    for r in customers.to_pylist():
        assert store_city[r["nearest_store_id"]] == r["geo_city"]
        assert r["preferred_channel"] in CHANNEL_CODES
        assert REFERENCE_DAY - datetime.timedelta(days=5 * 365) <= r["acquisition_date"] < REFERENCE_DAY
        if r["segment"] == "new":
            assert (REFERENCE_DAY - r["acquisition_date"]).days <= 90
        assert r["effective_date"] == r["acquisition_date"] and r["is_current"] and r["expiration_date"] is None
    shares = {s: np.mean(np.array(customers["segment"].to_pylist()) == s) for s in SEGMENTS}
    for segment, spec in SEGMENTS.items():
        assert abs(shares[segment] - spec.share) < 0.03
    ltv = {s: np.mean([v for v, g in zip(customers["lifetime_value"].to_pylist(), customers["segment"].to_pylist(), strict=True)
                   if g == s])
           for s in SEGMENTS}
    assert max(ltv, key=ltv.get) == "vip"


def test_customers_reproducible(customers, locations):
    assert customers.equals(build_customer_dim(5000, 42, SEGMENTS, locations, REFERENCE_DAY, 5, ETL, DECLARED))
    other = build_customer_dim(5000, 7, SEGMENTS, locations, REFERENCE_DAY, 5, ETL, DECLARED)
    assert other["email"].to_pylist() != customers["email"].to_pylist()
    assert other["segment"].to_pylist() != customers["segment"].to_pylist()


def test_customers_reject_unknown_segment(locations):
    with pytest.raises(ValueError, match="segments"):
        build_customer_dim(10, 42, {"whale": Segment(1.0, 1.0, 0.1)}, locations, REFERENCE_DAY, 5, ETL, DECLARED)


def test_products_follow_their_declared_brand_mix_and_price_jitter():
    declared = resolve(preset="tiny", assignments=[
        "distributions.brand.weights={ATN: 0.5, EVE: 0.5}",
        "distributions.price_jitter={distribution: normal, mean: 0, sd: 0.05}",
    ]).distributions
    table = build_product_dim(3000, 42, REFERENCE_DAY, 90, 0.95, ETL, declared)
    assert set(table["brand"].to_pylist()) == {"Atelier Noir", "Everyday Edit"}
    assert set(table["price_tier"].to_pylist()) == {"luxury", "value"}
    assert pc.min(table["base_price"]).as_py() > 0


def test_customers_follow_their_declared_channels_and_sizes(locations):
    declared = resolve(preset="tiny", assignments=[
        "distributions.acquisition_channel.weights={tiktok: 1.0}",
        "distributions.preferred_channel.weights={APP_IOS: 0.5, STORE_POS: 0.5}",
        "distributions.size_profile_bottoms.weights={40: 1.0}",
    ]).distributions
    table = build_customer_dim(2000, 42, SEGMENTS, locations, REFERENCE_DAY, 5, ETL, declared)
    assert set(table["acquisition_channel"].to_pylist()) == {"tiktok"}
    assert set(table["preferred_channel"].to_pylist()) == {"APP_IOS", "STORE_POS"}
    assert set(table["size_profile_bottoms"].to_pylist()) == {"40"}
