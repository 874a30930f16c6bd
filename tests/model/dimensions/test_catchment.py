"""A store's catchment: customers beyond the stores' reach prefer a digital channel and never order in a store."""

from __future__ import annotations

import numpy as np

from retail_synth.model.dimensions.catchment import STORE_FORMAT_WEIGHTS, within_reach
from retail_synth.model.simulation import demand
from retail_synth.spec.vocabulary import DIGITAL_CHANNEL_CODES
from tests.support.simulated_worlds import tiny_dimensions, tiny_world

FORMATS = ["flagship", "flagship", "standard", "outlet"]        # 3.5 + 3.5 + 1 + 1.1 = 9.1 standard stores


def test_the_stores_reach_as_many_customers_as_their_catchments_hold():
    keys = np.arange(1, 100_001)
    reached = within_reach(42, keys, len(keys), FORMATS, 1_000)
    assert abs(reached.mean() - 9.1 * 1_000 / 100_000) < 0.005
    assert np.array_equal(reached, within_reach(42, keys, len(keys), FORMATS, 1_000))       # hashed, not random
    assert within_reach(42, keys, len(keys), FORMATS, 20_000).all()        # catchments larger than the customers
    assert sum(STORE_FORMAT_WEIGHTS[f] for f in FORMATS) == 9.1


def test_customers_beyond_reach_prefer_a_digital_channel_and_never_order_in_a_store():
    setting = "customers.standard_store_customers=10"      # tiny's 10 stores reach about 152 of its 500 customers
    _, dims = tiny_dimensions(setting)
    world = tiny_world(setting)
    reached = world.customer_in_reach
    assert 100 < reached.sum() < 200
    customers = dims["gold_customer_dim"].to_pandas()
    first = customers[customers["customer_key"] < 10_000_000].sort_values("customer_key")
    assert np.array_equal(first["customer_key"].to_numpy(), world.customer_key)
    assert first["preferred_channel"][~reached].isin(DIGITAL_CHANNEL_CODES).all()
    assert not first["preferred_channel"][reached].isin(DIGITAL_CHANNEL_CODES).all()      # store shoppers remain

    requests = next(demand.blocks_requests(world, [(0, world.n_products)]))
    online = ~reached[requests.customer]          # customer indices
    assert online.any() and requests.is_digital[online].all()
    assert (~requests.is_digital[~online]).any()
    # a customer beyond reach still switches channel now and then, to another digital one
    preferred = world.customer_channel[requests.customer]
    assert (requests.channel[online] != preferred[online]).any()
