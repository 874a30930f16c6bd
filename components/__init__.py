"""Domain logic of the retail generator: plain numpy/pyarrow, no Spark."""
