"""Tiny simulation worlds for the Spark-free tests, built once per configuration."""

from functools import lru_cache

from components.configuration import resolve
from components.simulation.walk import simulate_block, with_cart_decisions
from components.simulation.world import build_world, reference_dimensions


@lru_cache(maxsize=8)
def tiny_dimensions(*assignments: str):
    """(config, dimension tables) of the tiny preset with `--set` style assignments."""
    config = resolve(preset="tiny", assignments=list(assignments))
    return config, reference_dimensions(config)


@lru_cache(maxsize=8)
def tiny_world(*assignments: str):
    """The tiny preset's World, carts decided."""
    config, dims = tiny_dimensions(*assignments)
    return with_cart_decisions(build_world(config, dims, config["seed"]))


@lru_cache(maxsize=4)
def tiny_block(*assignments: str):
    """(world, the whole catalogue simulated as one block)."""
    world = tiny_world(*assignments)
    return world, simulate_block(world, 0, world.n_products)
