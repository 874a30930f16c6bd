"""Benchmark: one preset end to end, against this machine's write ceiling measured in the same run.

Prints, per table, rows, seconds and rows/s; the time spent in the walk, in
the cart decisions and in writing; the peak memory of the Python driver, of
the JVM (in local mode the driver JVM also hosts the executors), of all Python
workers together and of the largest one, over the run and in each of its phases, with the
cores each phase kept busy; and the ceiling: the time Spark takes to write the
same number of rows, of the same schema and width, to Delta from a trivial
generator (a sample batch of each written table, repeated). The ratio
total / ceiling says how much the simulation costs on top of writing. The figures also go, as JSON,
to benchmarks/results/<date>-<preset>.json (--json-out FILE to put them elsewhere).

    .venv/bin/python benchmarks/run_benchmark.py --preset small
    .venv/bin/python benchmarks/run_benchmark.py --preset medium --master "local[1]"   # one task slot
    .venv/bin/python benchmarks/run_benchmark.py --preset medium --master "local[1]" --cores 1   # and one core
    .venv/bin/python benchmarks/run_benchmark.py --preset full --extend-days 7   # then extend the same target

With --extend-days N the generated target is then extended by N days in the
same session (retail-synth extend), and the extend's seconds are reported
beside the generate's, as a share of them.

`local[1]` is one task slot, not one core: the JVM's compiler, collector and
driver threads, and a task's Python worker, still run on the other cores. With
--cores N the benchmark and everything it starts (the JVM, the Python workers)
run on the machine's first N cores only, as on a machine of N cores. The CPU
seconds of the JVM's threads, by kind, are reported for the run (the ceiling
aside), so the work beside the tasks can be seen.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from retail_synth.spark.delta_tables import (
    STATS_COLUMNS_PROPERTY,
    Target,
    stats_columns,
)
from retail_synth.spec.configuration import resolve
from retail_synth.spec.contracts import load_contract

RESULTS = Path(__file__).resolve().parent / "results"     # one JSON file per run: <date>-<preset>.json


def _commit() -> str | None:
    """The short commit of the code measured, when it is a git checkout."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=RESULTS.parent, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int | str) -> float:
    """User plus system CPU seconds `pid` (or "pid/task/tid", a thread) has used so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


JVM_THREAD_KINDS = {"tasks": ("Executor task",), "JIT compiler": ("C1 Compiler", "C2 Compiler"),
                    "collector": ("GC Thread", "VM Thread"), "driver calls": ("Thread-",)}


def jvm_threads(jvm_pid: int) -> dict[str, tuple[str, float]]:
    """thread id -> (its kind in JVM_THREAD_KINDS, or "other"; CPU seconds it has used so far).

    "driver calls" are Py4J's threads: what the Python driver asks of the JVM
    (planning, Delta commits) runs on them.
    """
    out: dict[str, tuple[str, float]] = {}
    try:
        tids = os.listdir(f"/proc/{jvm_pid}/task")
    except OSError:         # the JVM has ended
        return out
    for tid in tids:
        try:
            with open(f"/proc/{jvm_pid}/task/{tid}/comm") as handle:
                name = handle.read().strip()
        except OSError:
            continue
        kind = next((k for k, prefixes in JVM_THREAD_KINDS.items() if name.startswith(prefixes)), "other")
        out[tid] = (kind, _cpu_seconds(f"{jvm_pid}/task/{tid}"))
    return out


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


class MemoryWatch(threading.Thread):
    """Samples the RSS of the driver, the JVM and the Python workers every half second.

    Besides the peaks of the whole run it keeps each phase's (`phase` is set
    from the progress lines), so a peak can be traced to the step that made it,
    and the CPU seconds the driver, the JVM and the workers used in each phase:
    over the phase's wall time, the cores it kept busy (a task's Python worker
    and its JVM thread run at once, so even `local[1]` can keep more than one),
    and the JVM's CPU seconds by thread kind.
    """

    def __init__(self):
        super().__init__(daemon=True)
        self.jvm_pid = 0
        self.phase = "start"
        self.peak = {"python_driver": 0, "jvm": 0, "python_workers": 0, "largest_python_worker": 0}
        self.phase_peaks: dict[str, dict[str, int]] = {}
        self.phase_cpu: dict[str, list[float]] = {}     # phase -> [CPU seconds, wall seconds]
        self.phase_cpu_by: dict[str, dict[str, float]] = {}   # phase -> {driver, jvm, workers: CPU seconds}
        self._cpu: dict[int, float] = {}                # pid -> CPU seconds when last seen
        self.threads: dict[str, tuple[str, float]] = {}  # JVM thread id -> (kind, CPU seconds when last seen)
        self._halt = threading.Event()

    def run(self):
        me = os.getpid()
        last = (time.perf_counter(), 0.0)
        last_by = {"driver": 0.0, "jvm": 0.0, "workers": 0.0}
        while not self._halt.wait(0.5):
            workers = []
            for entry in os.listdir("/proc"):
                if entry.isdigit() and self.jvm_pid and int(entry) != self.jvm_pid:
                    pid, hops = int(entry), 0
                    while pid > 1 and hops < 5 and pid != self.jvm_pid:
                        pid, hops = _parent(pid), hops + 1
                    if pid == self.jvm_pid:
                        workers.append(_rss_bytes(int(entry)))
                        self._cpu[int(entry)] = _cpu_seconds(int(entry)) or self._cpu.get(int(entry), 0.0)
            if self.jvm_pid and self.phase != "ceiling":   # threads that end keep the seconds last seen
                self.threads |= {tid: seen for tid, seen in jvm_threads(self.jvm_pid).items() if seen[1]}
            for pid in (me, self.jvm_pid):
                if pid:
                    self._cpu[pid] = _cpu_seconds(pid) or self._cpu.get(pid, 0.0)
            now = (time.perf_counter(), sum(self._cpu.values()))
            driver, jvm = self._cpu.get(me, 0.0), self._cpu.get(self.jvm_pid, 0.0)
            now_by = {"driver": driver, "jvm": jvm, "workers": now[1] - driver - jvm}
            by = self.phase_cpu_by.setdefault(self.phase, dict.fromkeys(now_by, 0.0))
            for kind, seconds in now_by.items():
                by[kind] += seconds - last_by[kind]
            last_by = now_by
            spent = self.phase_cpu.setdefault(self.phase, [0.0, 0.0])
            spent[0] += now[1] - last[1]
            spent[1] += now[0] - last[0]
            last = now
            sample = {"python_driver": _rss_bytes(me), "jvm": _rss_bytes(self.jvm_pid) if self.jvm_pid else 0,
                      "python_workers": sum(workers), "largest_python_worker": max(workers, default=0)}
            phase = self.phase_peaks.setdefault(self.phase, dict.fromkeys(sample, 0))
            for key, value in sample.items():
                self.peak[key] = max(self.peak[key], value)
                phase[key] = max(phase[key], value)

    def thread_seconds(self) -> dict[str, float]:
        """The JVM's CPU seconds by thread kind over the run so far."""
        out = dict.fromkeys([*JVM_THREAD_KINDS, "other"], 0.0)
        for kind, seconds in self.threads.values():
            out[kind] += seconds
        return {kind: round(seconds, 1) for kind, seconds in out.items()}

    def stop(self):
        self._halt.set()
        self.join()


class PhaseStream:
    """stdout, which also tells the MemoryWatch the run's phase from the progress lines it passes on."""

    MARKS = (("walking ", "walk"), ("  round ", "walk: rounds"), ("  pilot walk", "walk: last stage"),
             ("walked in", "cart decisions"))

    def __init__(self, watch: MemoryWatch):
        self.watch = watch

    def write(self, text: str) -> int:
        for line in text.splitlines():
            for prefix, phase in self.MARKS:
                if line.startswith(prefix):
                    self.watch.phase = phase
            if re.match(r"[\d,]+ carts decided in ", line):
                self.watch.phase = "writing"
            agreed = re.search(r"days agreed through ([\d,]+) of ([\d,]+)", line)
            if agreed and agreed[1] == agreed[2]:      # the last round: the last stage walks next
                self.watch.phase = "walk: last stage"
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def write_ceiling(spark, target: Target, tables: list[dict], scratch: str, partitions: int) -> list[dict]:
    """Seconds to write each table's row count to Delta by repeating one sample batch of that table.

    Each table is created with the same statistics columns as the run's, since they are a large
    part of what a write costs.
    """
    out = []
    for t in tables:
        rows = t["rows"]
        frame = target.read(spark, t["table"])
        sample = frame.limit(min(rows, 50_000)).toArrow()
        if rows == 0 or sample.num_rows == 0:
            continue
        batch = sample.to_batches(max_chunksize=sample.num_rows)[0] if sample.num_rows else None
        n_batches = -(-rows // batch.num_rows)
        shared = spark.sparkContext.broadcast(batch)

        def repeat(ids, total=rows, shared=shared):
            for id_batch in ids:
                for i in id_batch.column("id").to_pylist():
                    b = shared.value
                    yield b.slice(0, min(b.num_rows, total - i * b.num_rows))

        started = time.perf_counter()
        (spark.range(0, n_batches, 1, numPartitions=max(1, min(partitions, n_batches)))
         .mapInArrow(repeat, frame.schema)
         .writeTo(f"delta.`{Path(scratch, t['table'])}`").using("delta")
         .tableProperty(STATS_COLUMNS_PROPERTY, stats_columns(load_contract(t["table"])))
         .createOrReplace())
        out.append({"table": t["table"], "rows": rows, "seconds": round(time.perf_counter() - started, 2)})
        shared.unpersist()
    return out


def _extend(spark, target: Target, days: int, generated: dict) -> dict:
    """Extend the generated target by `days` days; its figures, and its seconds as a share of the generate's."""
    from retail_synth.spark.extend import extension_estimates, extension_of, run_extension
    from retail_synth.spark.progress import LINES, RunProgress, SparkTaskShare

    extension = extension_of(spark, target, days=days)
    progress = RunProgress(extension_estimates(extension), LINES, SparkTaskShare(spark), stream=sys.stdout)
    started = time.perf_counter()
    summary = run_extension(extension, target, spark, progress).as_dict()
    progress.close()
    seconds = time.perf_counter() - started
    share = summary["seconds"] / generated["seconds"]
    width = max(len(t["table"]) for t in summary["tables"])
    print(f"\nextend by {days} days ({extension.first_day - extension.config.warmup_days} days held before)")
    print(f"{'table':<{width}} {'rows':>12} {'seconds':>8}")
    for t in summary["tables"]:
        print(f"{t['table']:<{width}} {t['rows']:>12,} {t['seconds']:>8.1f}")
    phases = summary["phase_seconds"]
    print(f"extend: {summary['seconds']:.1f} s ({seconds:.1f} s with the journal and claim) = {share:.1%} of the "
          f"generate's {generated['seconds']:.1f} s; walk {phases['walk']:.1f} s, carts {phases['carts']:.1f} s, "
          f"after the walk {phases['after_walk']:.1f} s")
    return {"days": days, "seconds": summary["seconds"], "seconds_with_journal": round(seconds, 1),
            "share_of_generate": round(share, 4), "phase_seconds": phases, "tables": summary["tables"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="small")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--output", help="where to write (default: a temporary folder, removed afterwards)")
    parser.add_argument("--json-out", "--json", dest="json", metavar="FILE",
                        help="where the figures go as JSON (default benchmarks/results/<date>-<preset>.json)")
    parser.add_argument("--master", default="local[*]", help="Spark master of the embedded session (default local[*])")
    parser.add_argument("--extend-days", type=int, default=0, metavar="N",
                        help="then extend the generated target by N days and report the extend beside the generate")
    parser.add_argument("--no-ceiling", action="store_true",
                        help="do not measure the write ceiling (for a preset too large to write twice: no ratio)")
    parser.add_argument("--cores", type=int, default=0, metavar="N",
                        help="run on the machine's first N cores only, and everything this starts (default: all)")
    args = parser.parse_args(argv)
    if args.cores:
        available = sorted(os.sched_getaffinity(0))
        if not 0 < args.cores <= len(available):
            parser.error(f"--cores {args.cores}: this machine has {len(available)} cores to run on")
        os.sched_setaffinity(0, available[:args.cores])     # inherited by the JVM and its Python workers
    cores = len(os.sched_getaffinity(0))
    today = time.strftime("%Y-%m-%d", time.gmtime())
    json_out = Path(args.json or RESULTS / f"{today}-{args.preset}.json")

    config = resolve(preset=args.preset, assignments=args.assignments)
    scratch = tempfile.mkdtemp(prefix="retail-synth-bench-")
    output = args.output or str(Path(scratch, "warehouse"))
    watch = MemoryWatch()
    watch.start()
    started = time.perf_counter()

    from retail_synth.spark.generate import run_generation
    from retail_synth.spark.progress import LINES, RunProgress, SparkTaskShare
    from retail_synth.spark.session import get_spark
    from retail_synth.tables.row_estimates import estimated_rows

    spark = get_spark(config.spark.driver_memory, arrow_batch_rows=config.output.batch_rows,
                      master=args.master, persistent_catalog=False)
    watch.jvm_pid = int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())
    spark_start = time.perf_counter() - started
    # as generate shows it
    progress = RunProgress(estimated_rows(config), LINES, SparkTaskShare(spark), stream=PhaseStream(watch))
    summary = run_generation(config, Target(output_dir=output), spark, progress).as_dict()
    progress.close()
    total = time.perf_counter() - started
    memory = dict(watch.peak)
    phase_memory = {phase: dict(peaks) for phase, peaks in watch.phase_peaks.items()}
    phase_cpu = {phase: {"cpu_seconds": round(cpu, 1), "wall_seconds": round(wall, 1),
                         **{f"{kind}_cpu_seconds": round(seconds, 1)
                            for kind, seconds in watch.phase_cpu_by.get(phase, {}).items()}}
                 for phase, (cpu, wall) in watch.phase_cpu.items()}
    threads = watch.thread_seconds()
    watch.phase = "ceiling"

    partitions = config.spark.partitions or 2 * spark.sparkContext.defaultParallelism
    ceiling = [] if args.no_ceiling else write_ceiling(spark, Target(output_dir=output), summary["tables"],
                                                       str(Path(scratch, "ceiling")), partitions)
    watch.stop()
    ceiling_seconds = sum(c["seconds"] for c in ceiling)

    print(f"\npreset {args.preset} on {args.master}: {config.customers.customer_count:,} customers, "
          f"{config.products.product_count:,} products, {config.locations.location_count} locations, "
          f"{config.horizon_days} days; {cores} cores")
    width = max(len(t["table"]) for t in summary["tables"])
    ceiling_by = {c["table"]: c for c in ceiling}
    print(f"{'table':<{width}} {'rows':>12} {'seconds':>8} {'rows/s':>11} {'ceiling s':>10}")
    for t in summary["tables"]:
        rate = t["rows"] / t["seconds"] if t["seconds"] else 0
        c = ceiling_by.get(t["table"], {}).get("seconds", 0.0)
        print(f"{t['table']:<{width}} {t['rows']:>12,} {t['seconds']:>8.1f} {rate:>11,.0f} {c:>10.1f}")
    rows = sum(t["rows"] for t in summary["tables"])
    print(f"{'total':<{width}} {rows:>12,} {summary['seconds']:>8.1f} {rows / summary['seconds']:>11,.0f} "
          f"{ceiling_seconds:>10.1f}")
    gib = 1024 ** 3
    print(f"\nend to end (Spark start {spark_start:.1f} s included): {total:.1f} s; "
          f"{rows / summary['seconds'] / cores:,.0f} rows/s per core")
    if ceiling:
        print(f"write ceiling (same rows, trivial generator): {ceiling_seconds:.1f} s; "
              f"ratio total / ceiling = {total / ceiling_seconds:.2f}, "
              f"generation / ceiling = {summary['seconds'] / ceiling_seconds:.2f}")
    phases = summary["phase_seconds"]
    beside = ("the dimensions wait for the cores the barrier tasks hold" if summary["cart_exchange"] == "barrier"
              else "the dimensions are written meanwhile")
    print(f"phases: walk {phases['walk']:.1f} s ({summary['walk_tasks']} task(s), cart exchange "
          f"{summary['cart_exchange']}; {beside}), then cart decisions "
          f"{phases['carts']:.1f} s (the block tables are written meanwhile); from the end of the walk to the "
          f"last table written {phases['after_walk']:.1f} s")
    print(f"peak memory: Python driver {memory['python_driver'] / gib:.2f} GiB, JVM (driver + local executors) "
          f"{memory['jvm'] / gib:.2f} GiB, Python workers {memory['python_workers'] / gib:.2f} GiB "
          f"(largest {memory['largest_python_worker'] / gib:.2f} GiB)")
    for phase, peaks in phase_memory.items():
        cpu = phase_cpu.get(phase, {"cpu_seconds": 0.0, "wall_seconds": 0.0})
        busy = cpu["cpu_seconds"] / cpu["wall_seconds"] if cpu["wall_seconds"] else 0.0
        print(f"  {phase:<16} JVM {peaks['jvm'] / gib:.2f} GiB, largest Python worker "
              f"{peaks['largest_python_worker'] / gib:.2f} GiB, Python driver {peaks['python_driver'] / gib:.2f} GiB; "
              f"{cpu['wall_seconds']:.0f} s, {busy:.2f} cores busy (JVM {cpu.get('jvm_cpu_seconds', 0):.0f}, "
              f"workers {cpu.get('workers_cpu_seconds', 0):.0f}, driver {cpu.get('driver_cpu_seconds', 0):.0f} CPU s)")
    print("JVM CPU seconds by thread over the run: " + ", ".join(f"{kind} {sec:.0f}" for kind, sec in threads.items()))
    extended = _extend(spark, Target(output_dir=output), args.extend_days, summary) if args.extend_days else None
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps({
        "extend": extended,
        "preset": args.preset, "date": today, "commit": _commit(), "cores": cores, "set": args.assignments,
        "end_to_end_seconds": round(total, 1), "spark_start_seconds": round(spark_start, 1),
        "generation_seconds": summary["seconds"], "ceiling_seconds": round(ceiling_seconds, 1) if ceiling else None,
        "rows": rows, "walk_tasks": summary["walk_tasks"],
        "master": args.master, "phase_seconds": summary["phase_seconds"], "cart_exchange": summary["cart_exchange"],
        "tables": summary["tables"], "ceiling": ceiling, "peak_memory_bytes": memory,
        "phase_peak_memory_bytes": phase_memory, "phase_cpu": phase_cpu,
        "jvm_thread_cpu_seconds": threads,
    }, indent=2))
    print(f"figures written to {json_out}")
    if not args.output:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
