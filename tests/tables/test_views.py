"""Every simulated table is formatted from its view: a small frozen dataclass of what it reads, not the World."""

from __future__ import annotations

import dataclasses
import pickle
from importlib import import_module

import pytest

from retail_synth.model.simulation.world import World
from retail_synth.tables import registry
from tests.support.simulated_worlds import tiny_world


def view_of(table: str, world: World):
    return import_module(registry.producer(table).__module__).VIEW.of(world)


@pytest.mark.parametrize("table", registry.FACT_TABLES)
def test_each_table_reads_a_small_frozen_view_of_the_world(table):
    world = tiny_world()
    view = view_of(table, world)
    assert dataclasses.is_dataclass(view)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(view, dataclasses.fields(view)[0].name, None)
    assert len(dataclasses.fields(view)) <= 12 < len(dataclasses.fields(World))
    assert not any(isinstance(getattr(view, f.name), World) for f in dataclasses.fields(view))
    assert len(pickle.dumps(view)) < len(pickle.dumps(world))          # what a formatting task is sent


def test_a_views_fields_named_as_the_worlds_are_the_worlds_arrays():
    world = tiny_world()
    for table in registry.FACT_TABLES:
        view = view_of(table, world)
        for field in dataclasses.fields(view):
            if hasattr(world, field.name) and field.name not in ("n_days", "epoch_day"):
                assert getattr(view, field.name) is getattr(world, field.name), (table, field.name)
