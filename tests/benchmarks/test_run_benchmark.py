"""The benchmark's own arguments: refused before Spark starts, with the allowed range named."""

import importlib.util
import os
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "run_benchmark.py"


def _benchmark():
    spec = importlib.util.spec_from_file_location("run_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_more_cores_than_the_machine_offers_are_refused_with_exit_status_2(capsys):
    available = len(os.sched_getaffinity(0))
    with pytest.raises(SystemExit) as stopped:
        _benchmark().main(["--cores", str(available + 1)])
    assert stopped.value.code == 2
    assert f"this machine has {available} cores to run on" in capsys.readouterr().err
    assert len(os.sched_getaffinity(0)) == available      # nothing was pinned


def test_the_jvm_thread_kinds_read_a_live_process_and_an_ended_one():
    module = _benchmark()
    threads = module.jvm_threads(os.getpid())
    assert str(os.getpid()) in threads and all(kind == "other" for kind, _ in threads.values())
    assert module.jvm_threads(2 ** 22 + 1) == {}        # above Linux's largest pid: no such process
