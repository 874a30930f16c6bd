"""The catalogue's split into blocks, shared by the Spark walk and the tests."""

import itertools

from hypothesis import given
from hypothesis import strategies as st

from retail_synth.model.simulation.walk import product_blocks


@given(st.integers(1, 500), st.integers(1, 80))
def test_blocks_cover_the_catalogue_once_in_order(products, size):
    blocks = product_blocks(products, size)
    assert blocks[0][0] == 0 and blocks[-1][1] == products
    assert all(hi == lo for (_, hi), (lo, _) in itertools.pairwise(blocks))
    assert all(0 < hi - lo <= size for lo, hi in blocks)
    assert all(hi - lo == size for lo, hi in blocks[:-1])
