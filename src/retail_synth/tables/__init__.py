"""Serialization: the simulated world and its walk, written as contract-shaped Arrow batches.

src/retail_synth/model/simulation/ decides what happens (demand, stock, carts);
this package only says how it reads as gold tables. One module per
simulated table, named after the table without `gold_`; block tables
expose `batches(world, result, etl_timestamp, batch_rows)` over one walked
block, cart tables `batches(world, decisions, etl_timestamp, batch_rows)`
over the cart decision table. `registry` maps every contract to its producer.
"""
