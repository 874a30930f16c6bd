"""The simulation core: demand, allocation, replenishment, returns, carts and stockouts, vectorised in numpy.

Spark-free. `world.build_world` runs once on the driver; `walk.walk_blocks`
runs inside Spark tasks and gives the same results whatever the block
boundaries. What happened is decided here; how it reads as gold tables is
src/retail_synth/tables/.
"""
