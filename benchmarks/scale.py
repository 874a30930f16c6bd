"""Projection to a cluster: the walk as N tasks, run one at a time here, projected onto N cores.

For each N the walk is run in this process exactly as a cart exchange runs it
on a cluster, but its N tasks run one after another: `--exchange pilot` (the
default; model/simulation/pilot.py) the pilot walk in one task, then every
task's walk with the flags it found; `--exchange stages` the staged exchange's
rounds (model/simulation/rounds.py: the same plans, the same pooling), then
every task's last walk. Each task's CPU seconds and peak memory (tracemalloc:
what numpy allocates) are measured in every round (the pilot counts as one)
and in the last walk. The wall time on N cores is projected as

    walk      = sum over rounds of (the slowest task of the round + the exchange's cost of a round)
                + the slowest task of the last walk
    the rest  = formatting and writing: the benchmark's seconds after the walk on its cores,
                as core seconds, spread over N cores (they are independent tasks, as the ceiling's writes)

The exchange's cost of a round is measured here too: a tiny run in stages on the
embedded Spark (local[2]), whose rounds walk almost nothing, gives the seconds
Spark spends on a round itself (two small stages, a local checkpoint, a collect);
the pilot is counted at that cost too.
N = 1 is one task walking every block (in_task): no rounds.

    .venv/bin/python benchmarks/scale.py --preset full --benchmark benchmarks/results/<date>-full.json
    .venv/bin/python benchmarks/scale.py --preset medium --tasks 1,2,4,8 --benchmark medium.json

The products per block are made small enough for N blocks at the largest N
(`--products-per-block` sets them); tables are the same for any block size.
Results go to benchmarks/results/<date>-scale-<preset>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from retail_synth.model.dimensions.run_dimensions import build_dimensions
from retail_synth.model.simulation.pilot import pilot_flags
from retail_synth.model.simulation.rounds import (
    ROUND_DAYS,
    RoundPlan,
    agree_in_rounds,
    task_blocks,
    walk_agreed,
    walk_round,
)
from retail_synth.model.simulation.walk import product_blocks, walk_blocks
from retail_synth.model.simulation.world import build_world
from retail_synth.spec.configuration import resolve

RESULTS = Path(__file__).resolve().parent / "results"
GIB = 1024 ** 3


def measured(work):
    """(CPU seconds, peak traced bytes, what `work()` returned)."""
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    started = time.process_time()
    value = work()
    return time.process_time() - started, tracemalloc.get_traced_memory()[1] - base, value


def walk_as_tasks(world, blocks, tasks: int, round_days: int = ROUND_DAYS) -> dict:
    """Every round's and the last walk's per-task CPU seconds and peak bytes, the staged exchange run in turn."""
    if tasks == 1:
        seconds, peak, _ = measured(lambda: [r.sales for r in walk_blocks(world, blocks)])
        return {"rounds": [], "last_walk": {"seconds": [seconds], "peak_bytes": [peak]}, "days_agreed": []}
    dealt = task_blocks(blocks, tasks)
    states: list = [None] * tasks
    rounds: list[dict] = []

    def run_round(plan: RoundPlan):
        found, cpu, peaks = [], [], []
        for task in range(tasks):
            seconds, peak, (finds, states[task]) = measured(
                lambda task=task: walk_round(world, dealt[task], states[task], plan, task))
            found.append(finds)
            cpu.append(seconds)
            peaks.append(peak)
        rounds.append({"start": plan.start, "resume": plan.resume, "stop": plan.stop, "seconds": cpu,
                       "peak_bytes": peaks})
        return found

    def progress(state):
        if state.rounds % 10 == 0 or state.done:
            print(f"    round {state.rounds}: agreed through day {state.resume} of {state.stop_day} "
                  f"(slowest task {max(rounds[-1]['seconds']):.2f} s)", flush=True)

    agreed = agree_in_rounds(world, tasks, run_round, round_days=round_days, progress=progress).agreed
    last = [measured(lambda task=task: [r.sales for r in walk_agreed(world, dealt[task], agreed)])[:2]
            for task in range(tasks)]
    return {"rounds": rounds, "last_walk": {"seconds": [s for s, _ in last], "peak_bytes": [p for _, p in last]}}


PILOT: dict = {}     # the pilot's (CPU seconds, peak bytes, flags): the same for every N, so walked once


def walk_after_pilot(world, blocks, tasks: int) -> dict:
    """The pilot exchange's one walk in one task, then the last walk's per-task CPU seconds and peak bytes."""
    if tasks == 1:
        return walk_as_tasks(world, blocks, 1)
    if not PILOT:
        PILOT["walk"] = measured(lambda: pilot_flags(world, blocks))
        print(f"    pilot: {PILOT['walk'][0]:.1f} s, {len(PILOT['walk'][2]):,} carts two blocks share found low",
              flush=True)
    seconds, peak, flags = PILOT["walk"]
    last = [measured(lambda dealt=dealt: [r.sales for r in walk_agreed(world, dealt, flags)])[:2]
            for dealt in task_blocks(blocks, tasks)]
    return {"rounds": [{"start": 0, "resume": 0, "stop": world.n_days, "seconds": [seconds], "peak_bytes": [peak]}],
            "last_walk": {"seconds": [s for s, _ in last], "peak_bytes": [p for _, p in last]}}


def round_cost() -> float:
    """Seconds Spark spends on one round of the staged exchange, beyond walking: tiny in 4 tasks on local[2]."""
    from retail_synth.spark.session import get_spark
    from retail_synth.spark.walk_stage import WalkStage

    spark = get_spark(app_name="retail-synth scale: round cost", master="local[2]")
    config = resolve(preset="tiny", assignments=["spark.walk_blocks_per_task=1"])
    etl = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    stage = WalkStage(spark, config, build_dimensions(config, etl), etl, progress=lambda _: None)
    stage.walk()           # the first round ships the code to the workers: the cost of a round is the later ones'
    stage.close()
    stage = WalkStage(spark, config, build_dimensions(config, etl), etl, progress=lambda _: None)
    stage.walk()
    stage.close()
    return stage.seconds["rounds"] / stage.rounds


def projection(run: dict, tasks: int, exchange_seconds: float, rest_core_seconds: float) -> dict:
    rounds = run["rounds"]
    walk = (sum(max(r["seconds"]) for r in rounds) + len(rounds) * exchange_seconds
            + max(run["last_walk"]["seconds"]))
    rest = rest_core_seconds / tasks
    peak = max([*(max(r["peak_bytes"]) for r in rounds), max(run["last_walk"]["peak_bytes"])])
    return {"tasks": tasks, "rounds": len(rounds), "walk_seconds": round(walk, 1),
            "exchange_seconds": round(len(rounds) * exchange_seconds, 1), "rest_seconds": round(rest, 1),
            "projected_seconds": round(walk + rest, 1), "peak_task_gib": round(peak / GIB, 3),
            "walk_cpu_seconds": round(sum(sum(r["seconds"]) for r in rounds) + sum(run["last_walk"]["seconds"]), 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--tasks", default="1,2,4,8,16,32,64", help="the task counts N, comma-separated")
    parser.add_argument("--products-per-block", type=int, default=0,
                        help="default: the preset's, or fewer so that the largest N has a block per task")
    parser.add_argument("--benchmark", required=True, metavar="JSON",
                        help="run_benchmark.py's JSON of the same preset: its seconds after the walk and its cores")
    parser.add_argument("--round-seconds", type=float, default=None,
                        help="the exchange's cost of a round (default: measured on the embedded Spark)")
    parser.add_argument("--round-days", type=int, default=ROUND_DAYS, help="days a round walks past the agreed ones")
    parser.add_argument("--exchange", choices=("pilot", "stages"), default="pilot",
                        help="pilot: the pilot walk in one task, then every task; stages: rounds (default pilot)")
    parser.add_argument("--json-out", metavar="FILE")
    args = parser.parse_args(argv)
    counts = sorted({int(n) for n in args.tasks.split(",")})
    bench = json.loads(Path(args.benchmark).read_text())
    if bench["preset"] != args.preset:
        parser.error(f"--benchmark is a {bench['preset']} run; --preset is {args.preset}")
    rest_core_seconds = (bench["generation_seconds"] - bench["phase_seconds"]["walk"]) * bench["cores"]

    exchange = args.round_seconds if args.round_seconds is not None else round_cost()
    print(f"the exchange's cost of a round: {exchange:.2f} s")
    config = resolve(preset=args.preset)
    size = args.products_per_block or min(config.output.products_per_block,
                                          -(-config.products.product_count // max(counts)))
    world = build_world(config, build_dimensions(config, dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)),
                        config.seed)
    blocks = product_blocks(config.products.product_count, size)
    print(f"{args.preset}: {len(blocks)} blocks of {size} products, {world.n_days} days; after the walk "
          f"{rest_core_seconds:.0f} core seconds (the benchmark at {bench['commit']})")
    tracemalloc.start()
    runs, rows = {}, []
    for tasks in counts:
        print(f"  N = {tasks}", flush=True)
        runs[tasks] = (walk_after_pilot(world, blocks, tasks) if args.exchange == "pilot"
                       else walk_as_tasks(world, blocks, tasks, args.round_days))
        rows.append(projection(runs[tasks], tasks, exchange, rest_core_seconds))
    tracemalloc.stop()
    one = next((r["projected_seconds"] for r in rows if r["tasks"] == 1), None)
    print(f"\n{'N':>4} {'rounds':>6} {'walk s':>8} {'of it exchange':>14} {'rest s':>8} {'total s':>8} "
          f"{'speed-up':>8} {'efficiency':>10} {'peak task GiB':>13}")
    for row in rows:
        if one:
            row["speed_up"] = round(one / row["projected_seconds"], 2)
            row["efficiency"] = round(row["speed_up"] / row["tasks"], 3)
        print(f"{row['tasks']:>4} {row['rounds']:>6} {row['walk_seconds']:>8.1f} {row['exchange_seconds']:>14.1f} "
              f"{row['rest_seconds']:>8.1f} {row['projected_seconds']:>8.1f} {row.get('speed_up', 0):>8.2f} "
              f"{row.get('efficiency', 0):>10.1%} {row['peak_task_gib']:>13.3f}")
    out = Path(args.json_out) if args.json_out else RESULTS / f"{dt.date.today()}-scale-{args.preset}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"preset": args.preset, "exchange": args.exchange, "products_per_block": size,
                               "blocks": len(blocks),
                               "round_seconds": exchange, "rest_core_seconds": rest_core_seconds,
                               "benchmark": bench.get("commit"), "projection": rows, "runs": runs}, indent=1))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
