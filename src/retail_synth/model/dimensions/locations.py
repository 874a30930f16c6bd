"""Stores, warehouses and the distribution center, placed in real US cities.

Coordinates, time zones, ZIP codes and state sales tax rates are real so that
maps, local-time analyses and tax amounts look right (the generator this
replaces drew coordinates at random and gave Miami Los Angeles time).
"""

from __future__ import annotations

import datetime

import numpy as np
import pyarrow as pa

from retail_synth.spec import hashing
from retail_synth.spec.contracts import to_arrow_table

# state -> (region, state base sales tax rate as of 2025)
STATES = {
    "NY": ("Northeast", 0.04), "NJ": ("Northeast", 0.06625), "MA": ("Northeast", 0.0625),
    "PA": ("Northeast", 0.06), "MD": ("Northeast", 0.06), "DC": ("Northeast", 0.06),
    "RI": ("Northeast", 0.07), "CT": ("Northeast", 0.0635),
    "FL": ("Southeast", 0.06), "GA": ("Southeast", 0.04), "NC": ("Southeast", 0.0475),
    "SC": ("Southeast", 0.06), "TN": ("Southeast", 0.07), "KY": ("Southeast", 0.06),
    "VA": ("Southeast", 0.053), "AL": ("Southeast", 0.04), "LA": ("Southeast", 0.05),
    "IL": ("Midwest", 0.0625), "OH": ("Midwest", 0.0575), "IN": ("Midwest", 0.07),
    "MI": ("Midwest", 0.06), "MN": ("Midwest", 0.06875), "WI": ("Midwest", 0.05),
    "MO": ("Midwest", 0.04225), "NE": ("Midwest", 0.055),
    "TX": ("Southwest", 0.0625), "AZ": ("Southwest", 0.056), "NM": ("Southwest", 0.04875),
    "OK": ("Southwest", 0.045),
    "CA": ("West", 0.0725), "WA": ("West", 0.065), "NV": ("West", 0.0685), "OR": ("West", 0.0),
    "CO": ("West", 0.029), "UT": ("West", 0.061), "ID": ("West", 0.06),
}

# code, city, state, district, latitude, longitude, IANA time zone, ZIP code
CITIES = (
    ("NYC", "New York", "NY", "New York Metro", 40.7128, -74.0060, "America/New_York", "10001"),
    ("LAX", "Los Angeles", "CA", "Southern California", 34.0522, -118.2437, "America/Los_Angeles", "90012"),
    ("CHI", "Chicago", "IL", "Great Lakes", 41.8781, -87.6298, "America/Chicago", "60601"),
    ("MIA", "Miami", "FL", "Florida", 25.7617, -80.1918, "America/New_York", "33131"),
    ("DAL", "Dallas", "TX", "Texas & Oklahoma", 32.7767, -96.7970, "America/Chicago", "75201"),
    ("BOS", "Boston", "MA", "New England", 42.3601, -71.0589, "America/New_York", "02108"),
    ("SEA", "Seattle", "WA", "Pacific Northwest", 47.6062, -122.3321, "America/Los_Angeles", "98101"),
    ("ATL", "Atlanta", "GA", "South Atlantic", 33.7490, -84.3880, "America/New_York", "30303"),
    ("ORL", "Orlando", "FL", "Florida", 28.5383, -81.3792, "America/New_York", "32801"),
    ("LAS", "Las Vegas", "NV", "Desert Southwest", 36.1699, -115.1398, "America/Los_Angeles", "89101"),
    ("NWK", "Newark", "NJ", "New York Metro", 40.7357, -74.1724, "America/New_York", "07102"),
    ("ONT", "Ontario", "CA", "Southern California", 34.0633, -117.6509, "America/Los_Angeles", "91761"),
    ("CMH", "Columbus", "OH", "Ohio Valley", 39.9612, -82.9988, "America/New_York", "43215"),
    ("HOU", "Houston", "TX", "Texas & Oklahoma", 29.7604, -95.3698, "America/Chicago", "77002"),
    ("PHX", "Phoenix", "AZ", "Desert Southwest", 33.4484, -112.0740, "America/Phoenix", "85004"),
    ("PHL", "Philadelphia", "PA", "Mid-Atlantic", 39.9526, -75.1652, "America/New_York", "19107"),
    ("SAT", "San Antonio", "TX", "Texas & Oklahoma", 29.4241, -98.4936, "America/Chicago", "78205"),
    ("SAN", "San Diego", "CA", "Southern California", 32.7157, -117.1611, "America/Los_Angeles", "92101"),
    ("SJC", "San Jose", "CA", "Northern California", 37.3382, -121.8863, "America/Los_Angeles", "95113"),
    ("AUS", "Austin", "TX", "Texas & Oklahoma", 30.2672, -97.7431, "America/Chicago", "78701"),
    ("JAX", "Jacksonville", "FL", "Florida", 30.3322, -81.6557, "America/New_York", "32202"),
    ("SFO", "San Francisco", "CA", "Northern California", 37.7749, -122.4194, "America/Los_Angeles", "94103"),
    ("FTW", "Fort Worth", "TX", "Texas & Oklahoma", 32.7555, -97.3308, "America/Chicago", "76102"),
    ("CLT", "Charlotte", "NC", "South Atlantic", 35.2271, -80.8431, "America/New_York", "28202"),
    ("IND", "Indianapolis", "IN", "Great Lakes", 39.7684, -86.1581, "America/Indiana/Indianapolis", "46204"),
    ("DEN", "Denver", "CO", "Mountain", 39.7392, -104.9903, "America/Denver", "80202"),
    ("WAS", "Washington", "DC", "Mid-Atlantic", 38.9072, -77.0369, "America/New_York", "20001"),
    ("BNA", "Nashville", "TN", "Mid-South", 36.1627, -86.7816, "America/Chicago", "37203"),
    ("PDX", "Portland", "OR", "Pacific Northwest", 45.5152, -122.6784, "America/Los_Angeles", "97204"),
    ("DET", "Detroit", "MI", "Great Lakes", 42.3314, -83.0458, "America/Detroit", "48226"),
    ("MSP", "Minneapolis", "MN", "Plains", 44.9778, -93.2650, "America/Chicago", "55401"),
    ("BAL", "Baltimore", "MD", "Mid-Atlantic", 39.2904, -76.6122, "America/New_York", "21202"),
    ("MKE", "Milwaukee", "WI", "Great Lakes", 43.0389, -87.9065, "America/Chicago", "53202"),
    ("ABQ", "Albuquerque", "NM", "Desert Southwest", 35.0844, -106.6504, "America/Denver", "87102"),
    ("TUS", "Tucson", "AZ", "Desert Southwest", 32.2226, -110.9747, "America/Phoenix", "85701"),
    ("SAC", "Sacramento", "CA", "Northern California", 38.5816, -121.4944, "America/Los_Angeles", "95814"),
    ("MCI", "Kansas City", "MO", "Plains", 39.0997, -94.5786, "America/Chicago", "64106"),
    ("RAL", "Raleigh", "NC", "South Atlantic", 35.7796, -78.6382, "America/New_York", "27601"),
    ("OMA", "Omaha", "NE", "Plains", 41.2565, -95.9345, "America/Chicago", "68102"),
    ("OKC", "Oklahoma City", "OK", "Texas & Oklahoma", 35.4676, -97.5164, "America/Chicago", "73102"),
    ("LOU", "Louisville", "KY", "Mid-South", 38.2527, -85.7585, "America/Kentucky/Louisville", "40202"),
    ("MEM", "Memphis", "TN", "Mid-South", 35.1495, -90.0490, "America/Chicago", "38103"),
    ("SLC", "Salt Lake City", "UT", "Mountain", 40.7608, -111.8910, "America/Denver", "84101"),
    ("MSY", "New Orleans", "LA", "Mid-South", 29.9511, -90.0715, "America/Chicago", "70112"),
    ("TPA", "Tampa", "FL", "Florida", 27.9506, -82.4572, "America/New_York", "33602"),
    ("PIT", "Pittsburgh", "PA", "Mid-Atlantic", 40.4406, -79.9959, "America/New_York", "15222"),
    ("CIN", "Cincinnati", "OH", "Ohio Valley", 39.1031, -84.5120, "America/New_York", "45202"),
    ("CLE", "Cleveland", "OH", "Ohio Valley", 41.4993, -81.6944, "America/New_York", "44113"),
    ("STL", "St. Louis", "MO", "Plains", 38.6270, -90.1994, "America/Chicago", "63101"),
    ("RIC", "Richmond", "VA", "South Atlantic", 37.5407, -77.4360, "America/New_York", "23219"),
    ("PVD", "Providence", "RI", "New England", 41.8240, -71.4128, "America/New_York", "02903"),
    ("HFD", "Hartford", "CT", "New England", 41.7658, -72.6734, "America/New_York", "06103"),
    ("BOI", "Boise", "ID", "Pacific Northwest", 43.6150, -116.2023, "America/Boise", "83702"),
    ("BHM", "Birmingham", "AL", "Mid-South", 33.5186, -86.8104, "America/Chicago", "35203"),
    ("CHS", "Charleston", "SC", "South Atlantic", 32.7765, -79.9311, "America/New_York", "29401"),
)

# The reference network every run starts with: city code, location type, store format.
REFERENCE_LOCATIONS = (
    ("NYC", "store", "flagship"), ("LAX", "store", "flagship"),
    ("CHI", "store", "standard"), ("MIA", "store", "standard"), ("DAL", "store", "standard"),
    ("BOS", "store", "standard"), ("SEA", "store", "standard"), ("ATL", "store", "standard"),
    ("ORL", "store", "outlet"), ("LAS", "store", "outlet"),
    ("NWK", "warehouse", None), ("ONT", "warehouse", None),
    ("CMH", "dc", None),
)

MIN_LOCATIONS = len(REFERENCE_LOCATIONS)
MAX_LOCATIONS = len(CITIES)
OUTLET_SHARE = 0.25                      # share of extra stores that are outlets

# (location_type, store_format) -> (total sqft low, high, selling share of total)
_FLOOR_AREA = {
    ("store", "flagship"): (35_000, 60_000, 0.80),
    ("store", "standard"): (12_000, 25_000, 0.75),
    ("store", "outlet"): (15_000, 30_000, 0.85),
    ("warehouse", None): (300_000, 600_000, 0.0),
    ("dc", None): (600_000, 1_000_000, 0.0),
}
_ID_PREFIX = {"store": "STR", "warehouse": "WH", "dc": "DC"}
_NAME_SUFFIX = {"flagship": "Flagship", "standard": "Store", "outlet": "Outlet",
                "warehouse": "Warehouse", "dc": "Distribution Center"}
_OPENED_BETWEEN = (datetime.date(2005, 1, 1), datetime.date(2019, 12, 31))


def fulfilment_node_ids() -> list[str]:
    """location_id of every warehouse and DC: all reference locations, whatever location_count adds (stores)."""
    return [f"{_ID_PREFIX[kind]}-{code}-001" for code, kind, _ in REFERENCE_LOCATIONS if kind != "store"]


def build_location_dim(location_count: int, seed: int, etl_timestamp: datetime.datetime) -> pa.Table:
    """The 13 reference locations, then extra stores in distinct cities picked by the seed."""
    if not MIN_LOCATIONS <= location_count <= MAX_LOCATIONS:
        raise ValueError(
            f"location_count must be between {MIN_LOCATIONS} and {MAX_LOCATIONS}, got {location_count}"
        )
    city_index = {city[0]: i for i, city in enumerate(CITIES)}
    reference_codes = {code for code, _, _ in REFERENCE_LOCATIONS}
    spare = np.array([i for i, city in enumerate(CITIES) if city[0] not in reference_codes])
    extra = spare[np.argsort(hashing.hash64(seed, "location.extra_city", spare), kind="stable")]
    extra = extra[: location_count - MIN_LOCATIONS]
    outlet = hashing.uniform(seed, "location.outlet", extra) < OUTLET_SHARE

    network = [(city_index[code], kind, fmt) for code, kind, fmt in REFERENCE_LOCATIONS]
    network += [(int(i), "store", "outlet" if o else "standard") for i, o in zip(extra, outlet)]
    cities = [CITIES[i] for i, _, _ in network]
    kinds = [kind for _, kind, _ in network]
    formats = [fmt for _, _, fmt in network]
    n = len(network)
    keys = np.arange(1, n + 1)

    area = np.array([_FLOOR_AREA[(kind, fmt)] for _, kind, fmt in network])
    total_sqft = np.round(area[:, 0] + hashing.uniform(seed, "location.sqft", keys) * (area[:, 1] - area[:, 0]), -2)
    first, last = (np.datetime64(d, "D") for d in _OPENED_BETWEEN)
    open_offset = hashing.integers(seed, "location.open_date", 0, int((last - first).astype(int)), keys)

    return to_arrow_table(
        "gold_location_dim",
        {
            "location_key": keys.astype(np.int32),
            "location_id": [f"{_ID_PREFIX[k]}-{c[0]}-001" for c, k in zip(cities, kinds)],
            "location_name": [f"{c[1]} {_NAME_SUFFIX[f or k]}" for c, k, f in zip(cities, kinds, formats)],
            "location_type": kinds,
            "store_format": formats,
            "city": [c[1] for c in cities],
            "state_province": [c[2] for c in cities],
            "region": [STATES[c[2]][0] for c in cities],
            "country": ["US"] * n,
            "postal_code": [c[7] for c in cities],
            "latitude": [c[4] for c in cities],
            "longitude": [c[5] for c in cities],
            "timezone": [c[6] for c in cities],
            "selling_sqft": np.round(total_sqft * area[:, 2], -2),
            "total_sqft": total_sqft,
            "channel": ["physical" if k == "store" else "digital" for k in kinds],
            "district": [c[3] for c in cities],
            "open_date": first + open_offset.astype("timedelta64[D]"),
            "close_date": pa.nulls(n, pa.date32()),
            "is_active": np.ones(n, dtype=bool),
            "state_tax_rate": [STATES[c[2]][1] for c in cities],
            "source_system": ["ERP"] * n,
            "etl_timestamp": [etl_timestamp] * n,
        },
    )
