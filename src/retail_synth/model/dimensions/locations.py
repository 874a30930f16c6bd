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
from retail_synth.spec.network import (
    CITIES,
    MAX_LOCATIONS,
    MIN_LOCATIONS,
    REFERENCE_LOCATIONS,
    location_id,
)

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



OUTLET_SHARE = 0.25                      # share of extra stores that are outlets

# (location_type, store_format) -> (total sqft low, high, selling share of total). Specialty apparel sizes:
# a mall store of about 6,200 (J.Crew) to 7,000 sq ft (Abercrombie & Fitch), a factory outlet of about 4,000
# to a warehouse outlet of 8,000 (eMarketer), a flagship like Express's 30,000 sq ft on Times Square (NREI, 2012)
_FLOOR_AREA = {
    ("store", "flagship"): (20_000, 40_000, 0.80),
    ("store", "standard"): (5_000, 10_000, 0.75),
    ("store", "outlet"): (5_000, 12_000, 0.80),
    ("warehouse", None): (300_000, 600_000, 0.0),
    ("dc", None): (600_000, 1_000_000, 0.0),
}
_NAME_SUFFIX = {"flagship": "Flagship", "standard": "Store", "outlet": "Outlet",
                "warehouse": "Warehouse", "dc": "Distribution Center"}
_OPENED_BETWEEN = (datetime.date(2005, 1, 1), datetime.date(2019, 12, 31))




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
    network += [(int(i), "store", "outlet" if o else "standard") for i, o in zip(extra, outlet, strict=True)]
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
            "location_id": [location_id(c[0], k) for c, k in zip(cities, kinds, strict=True)],
            "location_name": [f"{c[1]} {_NAME_SUFFIX[f or k]}" for c, k, f in zip(cities, kinds, formats, strict=True)],
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
