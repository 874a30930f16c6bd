"""The generation job: dimensions on the driver, facts simulated inside Spark tasks, all to Delta.

Run it as `retail-synth generate ...`, `python -m pipelines.generate ...` or
`spark-submit pipelines/generate.py ...`; all three take the same flags.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    # spark-submit runs this file as a script: make the project importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.contracts import load_contract  # noqa: E402
from pipelines.delta_tables import (  # noqa: E402
    Target,
    clear_run_marker,
    spark_schema,
    write_run_marker,
    write_table,
)
from pipelines.dimension_tables import build_dimensions  # noqa: E402


def _print_progress(message: str) -> None:
    print(message, flush=True)


def run_generation(config: dict, target: Target, spark, progress=_print_progress) -> dict:
    """Write every gold table of `config` to `target`; returns rows and seconds per table."""
    from pipelines.affinity_table import AFFINITY_TABLE, affinity_frame
    from pipelines.fact_tables import FACT_TABLES, FactSimulation

    started = time.perf_counter()
    etl_timestamp = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    run_id = f"{config['preset']}-seed{config['seed']}-{etl_timestamp:%Y%m%dT%H%M%SZ}"
    target.prepare(spark)
    clear_run_marker(target)

    dimensions = build_dimensions(config, etl_timestamp)
    frames = {
        name: spark.createDataFrame(table, schema=spark_schema(load_contract(name)))
        for name, table in dimensions.items()
    }
    progress("deciding carts: one pass over all products ...")
    simulation = FactSimulation(spark, config, dimensions, etl_timestamp)
    try:
        frames.update({name: simulation.frame(name) for name in FACT_TABLES})
        total = len(frames) + 1                 # + the affinity aggregate, derived from written facts
        tables = []

        def write(position: int, name: str, frame) -> None:
            table_started = time.perf_counter()
            progress(f"[{position}/{total}] writing {name} ...")
            rows = write_table(spark, frame, load_contract(name), target, run_id)
            seconds = time.perf_counter() - table_started
            tables.append({"table": name, "rows": rows, "seconds": round(seconds, 2)})
            progress(f"[{position}/{total}] {name}: {rows:,} rows in {seconds:.1f} s")

        for position, (name, frame) in enumerate(frames.items(), start=1):
            write(position, name, frame)
        # reads gold_sales_fact and gold_customer_event_fact as written above, so it is written after them
        write(total, AFFINITY_TABLE, affinity_frame(spark, target, config))
    finally:
        simulation.close()

    summary = {
        "run_id": run_id,
        "preset": config["preset"],
        "seed": config["seed"],
        "start_date": config["start_date"],
        "end_date": config["end_date"],
        "etl_timestamp": etl_timestamp,
        "target": target.describe(),
        "tables": tables,
        "seconds": round(time.perf_counter() - started, 2),
    }
    write_run_marker(target, summary)
    return summary


if __name__ == "__main__":
    from pipelines.cli import main

    sys.exit(main(sys.argv[1:]))
