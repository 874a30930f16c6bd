"""Order lines follow the declared distributions: basket sizes, quantities, payments and product popularity."""

import numpy as np

from retail_synth.model.simulation import demand
from retail_synth.spec import vocabulary
from retail_synth.spec.distributions import Zipf
from retail_synth.spec.ids import RECOVERED_ORDER_BASE
from tests.support.simulated_worlds import tiny_world

DECLARED = (
    "distributions.basket_lines.regular={distribution: categorical, weights: {2: 0.5, 5: 0.5}}",
    "distributions.quantity.weights={4: 0.25, 1: 0.75}",
    "distributions.payment_method.store.weights={cash: 1.0}",
    "distributions.product_popularity={distribution: lognormal, mu: 0, sigma: 1}",
)


def test_order_lines_follow_their_declarations():
    world = tiny_world(*DECLARED)
    lines = next(demand.blocks_requests(world, [(0, world.n_products)]))
    assert set(np.unique(lines.quantity).tolist()) == {1, 4}
    assert world.mean_quantity == 0.25 * 4 + 0.75 * 1
    assert world.quantity_pmf.tolist() == [0.75, 0.0, 0.0, 0.25]
    store = ~lines.is_digital & ~lines.is_recovery
    assert (np.asarray(vocabulary.PAYMENT_METHODS)[lines.payment[store]] == "cash").all()
    regular = world.segment_names.index("regular")
    assert world.segment_basket_max[regular] == 5
    regular_lines = np.flatnonzero((world.customer_segment[lines.customer] == regular) & ~lines.is_recovery)
    order = lines.day[regular_lines].astype(np.int64) << 32 | lines.order[regular_lines]
    _, first = np.unique(order, return_inverse=True)
    last_line = np.zeros(first.max() + 1, dtype=np.int64)
    np.maximum.at(last_line, first, lines.line[regular_lines])
    assert np.isin(last_line, [1, 4]).mean() > 0.99          # baskets of two or five lines (a line may find no product)


def test_lognormal_popularity_draws_one_weight_per_product():
    world = tiny_world(*DECLARED)
    zipf = tiny_world()
    assert np.isclose(world.popularity.sum(), 1) and (world.popularity > 0).all()
    assert not np.allclose(np.sort(world.popularity), np.sort(zipf.popularity))
    assert isinstance(zipf.config.distributions.product_popularity, Zipf)


def test_order_attributes_drawn_again_are_those_of_the_generated_lines():
    """The walk drops the order attributes of its requests and draws them again for the lines it writes."""
    world = tiny_world()
    requests = next(demand.blocks_requests(world, [(0, world.n_products)]))
    assert requests.is_recovery.any() and (~requests.is_digital).any()
    again = demand.order_attributes(world, requests.day, requests.order, requests.cart, requests.is_recovery)
    for name in demand.ORDER_ATTRIBUTES:
        got, generated = again[name], getattr(requests, name)
        assert got.dtype == generated.dtype and np.array_equal(got, generated), name
    # the nodes a line asks were chosen with the customer generation drew, from the home of the version in effect
    # on the day of the order (a recovered cart's: its cart's day)
    customer = again["customer"]
    ordered = np.where(requests.is_recovery, requests.day - requests.order // RECOVERED_ORDER_BASE, requests.day)
    home = world.customer_versions.home_on(customer, ordered)
    first_node = np.where(requests.is_digital, world.location_nodes[home][:, 0], home)
    assert np.array_equal(requests.nodes[:, 0], first_node)


def test_blocks_drawn_together_get_the_lines_each_draws_alone():
    """A task draws the demand once for all its blocks; every block's requests are those it would draw alone."""
    world = tiny_world()
    blocks = [(0, 7), (30, 45), (7, 30), (45, world.n_products)]      # not in product order, as a barrier task's
    together = list(demand.blocks_requests(world, blocks))
    for (lo, hi), requests in zip(blocks, together, strict=True):
        alone = next(demand.blocks_requests(world, [(lo, hi)]))
        assert ((requests.product >= lo) & (requests.product < hi)).all()
        for name in demand.Requests.__dataclass_fields__:
            got, own = getattr(requests, name), getattr(alone, name)
            if name != "shared":        # relative to the blocks drawn: see below
                assert got.dtype == own.dtype and np.array_equal(got, own), (lo, hi, name)
    everything = next(demand.blocks_requests(world, [(0, world.n_products)]))
    assert sum(len(r) for r in together) == len(everything)
    assert not any(r.shared.any() for r in together)      # the four blocks hold every line of every order


def test_a_line_is_shared_when_its_order_has_lines_in_blocks_not_drawn():
    world = tiny_world()
    everything = next(demand.blocks_requests(world, [(0, world.n_products)]))
    lo, hi = 7, 30
    order = demand.order_ids(world.epoch_day[everything.day], everything.order)
    outside = np.unique(order[(everything.product < lo) | (everything.product >= hi)])
    alone = next(demand.blocks_requests(world, [(lo, hi)]))
    expected = np.isin(demand.order_ids(world.epoch_day[alone.day], alone.order), outside)
    copies = alone.is_recovery        # a recovery copy is shared as its cart is
    expected[copies] = np.isin(alone.cart[copies], outside)
    assert alone.shared.any() and not alone.shared.all()
    assert np.array_equal(alone.shared, expected)
