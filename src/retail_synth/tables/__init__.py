"""Serialization: the simulated world and its walk, written as contract-shaped Arrow batches.

src/retail_synth/model/ decides what happens (demand, stock, carts, and every
random draw, including the ones only a table shows: model/simulation/
sessions.py, size_fit.py, abandonment.py, block_forecast.py); this package
only says how it reads as gold tables: keys, ids, strings, joins of decided
arrays. One module per simulated table, named after the table without
`gold_`. A formatter never receives the World: it receives its VIEW, a small
frozen dataclass of the few arrays and parameters it reads (tables/views.py
builds every view from the World, in one place). Block tables expose
`batches(view, result, etl_timestamp, batch_rows)` over one walked block,
cart tables `batches(view, decisions, etl_timestamp, batch_rows)` over the
cart decision table. `registry` maps every contract to its producer and
binds it to its view (registry.formatter).
"""
