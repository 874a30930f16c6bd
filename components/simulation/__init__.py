"""The simulation core: demand, allocation, replenishment, returns and stockouts, vectorised in numpy.

Spark-free. `world.build_world` runs once on the driver; `walk.simulate_block`
and the `fact_batches` generators run inside Spark tasks, one product block
at a time, and give the same rows whatever the block boundaries.
"""
