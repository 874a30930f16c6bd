"""Dimension tables of the gold model, built as Arrow tables in contract order.

They are small (at most a few hundred thousand rows), so they are built on the
driver with vectorised numpy/pyarrow; every random value comes from
retail_synth.spec.hashing so a seed reproduces them exactly.
"""
