"""Customer returns: which sale lines come back, when, and whether they are exchanges.

A line is returned with the return probability of its customer's segment,
plus customers.digital_return_uplift_rate on digital channels. Its units go
back on stock at the selling location at the START of day sale_day + delay,
delay uniform in returns.restock_delay_days_min..max. Draws are hashed from
the line id, so they do not depend on the block. Only sales of horizon days
are ever returned (the walk applies that rule); a return whose restock date
falls after the last horizon day is still flagged on the sale line, with its
real date, but moves no stock inside the simulated window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retail_synth.model.simulation.demand import Requests
from retail_synth.model.simulation.world import World
from retail_synth.spec import hashing


@dataclass
class ReturnDraws:
    returned: np.ndarray      # bool: the line comes back if it sells
    delay: np.ndarray         # int16 days from sale to restock
    exchange: np.ndarray      # bool: the return is an exchange (only meaningful when returned)


def return_draws(world: World, requests: Requests) -> ReturnDraws:
    returns = world.config.returns
    probability = world.segment_return_probability[world.customer_segment[requests.customer]]
    probability = np.minimum(probability + world.config.customers.digital_return_uplift_rate * requests.is_digital, 1.0)
    lid = requests.line_id
    returned = hashing.uniform(world.seed, "returns.returned", lid) < probability
    return ReturnDraws(
        returned=returned,
        delay=hashing.integers(world.seed, "returns.delay", returns.restock_delay_days_min, returns.restock_delay_days_max,
                               lid).astype(np.int16),
        exchange=returned & (hashing.uniform(world.seed, "returns.exchange", lid) < returns.exchange_share),
    )
