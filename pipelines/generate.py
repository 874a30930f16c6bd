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
from components.run_config import RunConfig  # noqa: E402
from components.tables.registry import CART_TABLES, WALK_TABLES, WRITTEN_TABLES  # noqa: E402
from pipelines.affinity_table import AFFINITY_TABLE, affinity_frame  # noqa: E402
from pipelines.delta_tables import (  # noqa: E402
    Target,
    clear_run_marker,
    spark_schema,
    write_run_marker,
    write_table,
)
from pipelines.dimension_tables import build_dimensions  # noqa: E402
from pipelines.walk_stage import WalkStage  # noqa: E402


def _print_progress(message: str) -> None:
    print(message, flush=True)


def run_generation(config: RunConfig, target: Target, spark, progress=_print_progress) -> dict:
    """Write every gold table of `config` to `target`; returns rows and seconds per table.

    The run reads: the dimensions are written while the walk runs (the walk
    leaves cores free, in one task or in barrier tasks that wait on each
    other), then the block tables while the carts are decided, then the cart
    tables, then the aggregate that reads the written facts.
    """
    started = time.perf_counter()
    etl_timestamp = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    run_id = f"{config.preset}-seed{config.seed}-{etl_timestamp:%Y%m%dT%H%M%SZ}"
    target.prepare(spark)
    clear_run_marker(target)

    dimensions = build_dimensions(config, etl_timestamp)
    stage = WalkStage(spark, config, dimensions, etl_timestamp, progress)
    written = {}
    done = iter(range(1, len(WRITTEN_TABLES) + 1))

    def write(name: str, frame) -> None:
        table_started = time.perf_counter()
        rows = write_table(spark, frame, load_contract(name), target, run_id)
        seconds = time.perf_counter() - table_started
        written[name] = {"table": name, "rows": rows, "seconds": round(seconds, 2)}
        progress(f"[{next(done)}/{len(WRITTEN_TABLES)}] {name}: {rows:,} rows in {seconds:.1f} s")

    # Each table is its own Spark job and atomic commit; a few at once overlap one job's commits and
    # planning with another's computation. One more thread than writes: the walk or the carts hold one.
    try:
        with ThreadPoolExecutor(max_workers=config.output.parallel_writes + 1) as pool:
            walked = pool.submit(stage.walk)
            jobs = [pool.submit(write, name, spark.createDataFrame(table, schema=spark_schema(load_contract(name))))
                    for name, table in dimensions.items()]
            walked.result()
            after_walk = time.perf_counter()
            decided = pool.submit(stage.decide_carts)
            jobs += [pool.submit(write, name, stage.frame(name)) for name in WALK_TABLES]
            decided.result()
            jobs += [pool.submit(write, name, stage.frame(name)) for name in CART_TABLES]
            for job in jobs:
                job.result()
        # reads gold_sales_fact and gold_customer_event_fact as written above, so it is written after them
        write(AFFINITY_TABLE, affinity_frame(spark, target, config))
        stage.seconds["after_walk"] = round(time.perf_counter() - after_walk, 2)
    finally:
        stage.close()

    summary = {
        "run_id": run_id,
        "preset": config.preset,
        "seed": config.seed,
        "start_date": config.start_date,
        "end_date": config.end_date,
        "etl_timestamp": etl_timestamp,
        "target": target.describe(),
        "tables": [written[name] for name in WRITTEN_TABLES],
        "cart_exchange": stage.exchange,
        "walk_tasks": stage.tasks,
        "phase_seconds": stage.seconds,
        "seconds": round(time.perf_counter() - started, 2),
    }
    write_run_marker(target, summary)
    return summary


if __name__ == "__main__":
    from pipelines.cli import main

    sys.exit(main(sys.argv[1:]))
