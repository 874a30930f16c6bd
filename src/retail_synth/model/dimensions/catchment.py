"""Which customers live within reach of a store: each store serves a catchment of its format's size.

A chain's web shop reaches the whole country while each store reaches the
customers around it. So the stores' catchments hold at most
`customers.standard_store_customers` per standard store (a flagship and an
outlet reach STORE_FORMAT_WEIGHTS times as many), and the customers beyond
them order online only. That keeps a store's sales per square foot where
retail publishes it (realism.sales_per_sqft_*) whatever the customer count.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retail_synth.spec import hashing

# a store's catchment relative to a standard store's: with the formats' floor areas (locations.py) each format
# sells per selling square foot within its published range
STORE_FORMAT_WEIGHTS = {"flagship": 3.5, "standard": 1.0, "outlet": 1.1}


def within_reach(seed: int, keys: np.ndarray, customer_count: int, store_formats: Sequence[str],
                 standard_store_customers: int) -> np.ndarray:
    """bool per customer key: lives within reach of a store (else orders online only), a hashed share of them."""
    reach = standard_store_customers * sum(STORE_FORMAT_WEIGHTS[f] for f in store_formats)
    return hashing.uniform(seed, "customer.store_reach", keys) < min(1.0, reach / max(customer_count, 1))
