"""The generation job: dimensions on the driver, facts simulated inside Spark tasks, all to Delta.

Run it as `retail-synth generate ...`, `python -m pipelines.generate ...` or
`spark-submit pipelines/generate.py ...`; all three take the same flags.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from concurrent.futures import ThreadPoolExecutor
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
from components.tables.registry import FACT_TABLES, WRITTEN_TABLES  # noqa: E402
from pipelines.affinity_table import AFFINITY_TABLE, affinity_frame  # noqa: E402
from pipelines.dimension_tables import build_dimensions  # noqa: E402
from pipelines.walk_stage import WalkStage  # noqa: E402


def _print_progress(message: str) -> None:
    print(message, flush=True)


def run_generation(config: dict, target: Target, spark, progress=_print_progress) -> dict:
    """Write every gold table of `config` to `target`; returns rows and seconds per table."""

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
    simulation = WalkStage(spark, config, dimensions, etl_timestamp, progress)
    try:
        frames.update({name: simulation.frame(name) for name in FACT_TABLES})
        written = {}
        done = iter(range(1, len(WRITTEN_TABLES) + 1))

        def write(name: str, frame) -> None:
            table_started = time.perf_counter()
            rows = write_table(spark, frame, load_contract(name), target, run_id)
            seconds = time.perf_counter() - table_started
            written[name] = {"table": name, "rows": rows, "seconds": round(seconds, 2)}
            progress(f"[{next(done)}/{len(WRITTEN_TABLES)}] {name}: {rows:,} rows in {seconds:.1f} s")

        # Tables are independent Spark jobs: writing a few at once overlaps one table's commits and
        # planning with another's computation. Each table is still one atomic commit.
        progress(f"writing {len(frames)} tables, {config['output']['parallel_writes']} at a time ...")
        writing_started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=config["output"]["parallel_writes"]) as pool:
            for future in [pool.submit(write, name, frame) for name, frame in frames.items()]:
                future.result()
        # reads gold_sales_fact and gold_customer_event_fact as written above, so it is written after them
        write(AFFINITY_TABLE, affinity_frame(spark, target, config))
    finally:
        simulation.close()
    tables = [written[name] for name in WRITTEN_TABLES]
    writing_seconds = round(time.perf_counter() - writing_started, 2)

    summary = {
        "run_id": run_id,
        "preset": config["preset"],
        "seed": config["seed"],
        "start_date": config["start_date"],
        "end_date": config["end_date"],
        "etl_timestamp": etl_timestamp,
        "target": target.describe(),
        "tables": tables,
        "cart_exchange": simulation.exchange,
        "walk_tasks": simulation.tasks,
        "phase_seconds": {**simulation.seconds, "writing": writing_seconds},
        "seconds": round(time.perf_counter() - started, 2),
    }
    write_run_marker(target, summary)
    return summary


if __name__ == "__main__":
    from pipelines.cli import main

    sys.exit(main(sys.argv[1:]))
