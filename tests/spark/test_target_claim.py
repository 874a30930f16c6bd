"""One writer per target: a run claims the target first; a second run is refused naming the holder, nothing touched."""

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import retail_synth
from retail_synth.cli.main import main
from retail_synth.spark.delta_tables import Target, commits_after
from retail_synth.spark.generate import RunAborted
from retail_synth.spark.guard import refusals_in_target
from retail_synth.spark.progress import QUIET, RunProgress
from retail_synth.spark.run_journal import COMPLETE, ROLLED_BACK, RUN_MARKER, RunJournal
from retail_synth.spark.target_claim import (
    CLAIM_FILE,
    CLAIM_TABLE,
    EXPIRY_SECONDS,
    Holder,
    PathClaims,
    TargetClaimed,
    claim,
    current_holder,
)
from retail_synth.tables.registry import WRITTEN_TABLES

BIN = Path(sys.executable).parent


def utc(seconds_from_now: float = 0) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds_from_now)


def lapsed() -> dt.datetime:
    """A clock for a holder whose last heartbeat is past the expiry: a run that crashed a while ago."""
    return utc(-2 * EXPIRY_SECONDS)


def files_of(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_a_second_claim_is_refused_naming_the_holder_until_the_first_is_released(tmp_path):
    target = Target(output_dir=str(tmp_path / "w"))
    first = claim(None, target, "tiny-seed7-first", heartbeat_seconds=None)
    before = files_of(tmp_path)
    with pytest.raises(TargetClaimed) as refused:
        claim(None, target, "tiny-seed8-second")
    line = str(refused.value)
    assert "\n" not in line and "tiny-seed7-first" in line and f"pid {os.getpid()}" in line
    assert f"since {first.holder.claimed_at[:19]}Z" in line and refused.value.holder == first.holder
    assert files_of(tmp_path) == before                 # the refused claimant wrote nothing

    first.release()
    assert current_holder(None, target) is None
    with claim(None, target, "tiny-seed8-second", heartbeat_seconds=None) as second:
        assert current_holder(None, target) == second.holder
    assert current_holder(None, target) is None


def test_the_heartbeat_keeps_a_claim_live_and_a_lapsed_one_is_taken_over(tmp_path):
    target = Target(output_dir=str(tmp_path / "w"))
    clock = [utc(-EXPIRY_SECONDS - 30)]
    crashed = claim(None, target, "crashed", now=lambda: clock[0], heartbeat_seconds=None)
    clock[0] = utc(-30)
    assert crashed.heartbeat() and current_holder(None, target).heartbeat_at == clock[0].isoformat()
    with pytest.raises(TargetClaimed, match="crashed"):      # its heartbeat of 30 s ago keeps it
        claim(None, target, "next")

    clock[0] = lapsed()
    assert crashed.heartbeat()                                  # now its last heartbeat is 2 minutes old
    with claim(None, target, "next", heartbeat_seconds=None) as taken:
        assert current_holder(None, target).run_id == "next"
        assert not crashed.heartbeat() and crashed.lost         # the old holder learns it lost the claim
        crashed.release()                                       # and its release frees nothing of the new one's
        assert current_holder(None, target) == taken.holder


def test_the_heartbeat_thread_refreshes_the_claim(tmp_path):
    target = Target(output_dir=str(tmp_path / "w"))
    with claim(None, target, "beating", heartbeat_seconds=0.05) as held:
        first = held.holder.heartbeat_at
        deadline = time.monotonic() + 10
        while current_holder(None, target).heartbeat_at == first:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    assert current_holder(None, target) is None


def test_a_holder_whose_process_is_gone_is_stale_at_once(tmp_path):
    target = Target(output_dir=str(tmp_path / "w"))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    stamp = utc().isoformat()
    dead = Holder("token", "killed", socket.gethostname(), int(gone.stdout), stamp, stamp)
    claims = PathClaims(target)
    claims.prepare()
    assert claims.swap(None, dead) and current_holder(None, target) == dead
    with claim(None, target, "next", heartbeat_seconds=None):
        assert current_holder(None, target).run_id == "next"


RACER = """
import sys, time
from retail_synth.spark.delta_tables import Target
from retail_synth.spark.target_claim import TargetClaimed, claim
root, start, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
held = []
for r in range(rounds):
    time.sleep(max(0.0, start + 0.15 * r - time.time()))
    try:
        held.append(claim(None, Target(output_dir=f"{root}/{r}"), sys.argv[4], heartbeat_seconds=None))
        print(r, "won", flush=True)
    except TargetClaimed as refused:
        print(r, "lost", refused.holder.run_id, flush=True)
sys.stdin.read()    # hold every claim won until the test has heard every racer: a holder gone is stale at once
"""


def test_of_processes_racing_for_each_of_many_targets_exactly_one_wins(tmp_path):
    """Real processes, released at the same instant on a fresh folder: one claims it, every other names that one.

    Each racer holds what it won until every racer has reported every round. A racer that
    exited earlier would leave a stale claim (its process is gone), and a late racer would
    rightly take it over: that is a run after another, not a race.
    """
    racers, rounds, start = 4, 10, time.time() + 2.5
    runs = [subprocess.Popen([sys.executable, "-c", RACER, str(tmp_path), str(start), str(rounds), f"racer{i}"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for i in range(racers)]
    outcomes = {}
    try:
        for i, run in enumerate(runs):
            lines = [run.stdout.readline() for _ in range(rounds)]
            assert all(lines), (f"racer{i}", lines, run.stderr.read() if run.poll() is not None else "")
            outcomes[f"racer{i}"] = dict(line.strip().split(" ", 1) for line in lines)
    finally:
        for run in runs:
            run.communicate(timeout=120)        # closes stdin: the racer releases its claims by exiting
    assert [run.returncode for run in runs] == [0] * racers
    for r in map(str, range(rounds)):
        winners = [name for name, said in outcomes.items() if said[r] == "won"]
        assert len(winners) == 1, (r, outcomes)
        assert all(said[r] == f"lost {winners[0]}" for name, said in outcomes.items() if name != winners[0])


@pytest.fixture
def catalog_target(spark, request) -> Target:
    target = Target(catalog="spark_catalog", schema=f"claim_{request.node.name[5:30]}")
    yield target
    spark.sql(f"DROP SCHEMA IF EXISTS {target.schema_identifier} CASCADE")


def test_on_a_catalog_target_racing_claims_leave_one_holder_and_the_claim_table_is_no_foreign_table(
        spark, catalog_target, capsys):
    """Threads of one session race the creation of the claim table and its UPDATE: Delta commits one claim."""
    barrier, won, refused = threading.Barrier(2), [], []

    def race(name: str) -> None:
        barrier.wait()
        try:
            won.append(claim(spark, catalog_target, name, heartbeat_seconds=None))
        except TargetClaimed as error:
            refused.append(error.holder.run_id)

    threads = [threading.Thread(target=race, args=(f"thread{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and refused == [won[0].holder.run_id]
    assert current_holder(spark, catalog_target) == won[0].holder
    assert catalog_target.tables(spark) == [CLAIM_TABLE]
    won[0].release()
    assert current_holder(spark, catalog_target) is None

    assert refusals_in_target(spark, catalog_target, force=False) == []
    assert main(["clean", "--catalog", "spark_catalog", "--schema", catalog_target.schema,
                 "--confirm", "DELETE_RETAIL_SYNTH_TABLES"]) == 0
    assert "removed 0 table(s)" in capsys.readouterr().out and catalog_target.tables(spark) == []


@pytest.mark.usefixtures("spark")
def test_generate_rollback_and_clean_are_refused_while_a_live_run_holds_the_target(tmp_path, capsys):
    folder = tmp_path / "w"
    target = Target(output_dir=str(folder))
    with claim(None, target, "tiny-seed7-live", heartbeat_seconds=None):
        before = files_of(folder)
        with pytest.raises(TargetClaimed, match="tiny-seed7-live"):
            retail_synth.generate(target=target, preset="tiny", on_start=pytest.fail)
        assert "tiny-seed7-live" in retail_synth.plan(retail_synth.load_config(preset="tiny"), target,
                                                      retail_synth.get_spark()).refusals[0]
        for command in (["generate", "--preset", "tiny"], ["rollback"], ["clean", "--confirm", "DELETE_RETAIL_SYNTH_TABLES"]):
            assert main([*command, "--output", str(folder)]) == 2, command
            captured = capsys.readouterr()
            assert captured.err.count("\n") == 1 and "being written by tiny-seed7-live" in captured.err, command
        assert files_of(folder) == before


class FailingAtTheFirstTable(RunProgress):
    def table_started(self, table: str) -> None:
        raise RuntimeError(f"{table} refused by the test")


def test_a_run_that_fails_releases_the_claim_after_its_rollback(spark, tmp_path):
    target = Target(output_dir=str(tmp_path / "w"))
    with pytest.raises(RunAborted, match="refused by the test"):
        retail_synth.generate(target=target, spark=spark, preset="tiny",
                              progress=FailingAtTheFirstTable(dict.fromkeys(WRITTEN_TABLES, 0), QUIET))
    assert RunJournal(spark, target).last().status == ROLLED_BACK
    assert current_holder(None, target) is None and (tmp_path / "w" / CLAIM_FILE).is_file()


@pytest.mark.usefixtures("spark")
def test_rollback_clears_a_stale_claim(tmp_path, capsys):
    target = Target(output_dir=str(tmp_path / "w"))
    claim(None, target, "tiny-seed7-crashed", now=lapsed, heartbeat_seconds=None)
    assert main(["rollback", "--output", target.output_dir]) == 0
    assert "nothing to roll back" in capsys.readouterr().out
    assert current_holder(None, target) is None


def _journal_status(folder: Path) -> str | None:
    marker = folder / RUN_MARKER
    return json.loads(marker.read_text())["runs"][-1]["status"] if marker.is_file() else None


SECOND_RUN = """
import sys, time
from pathlib import Path
from retail_synth.cli.main import main
from retail_synth.spark.session import get_spark
get_spark(persistent_catalog=False)         # started before the race, so that the first run is still writing
Path(sys.argv[1]).touch()
while not Path(sys.argv[2]).exists():
    time.sleep(0.05)
sys.exit(main(["generate", "--preset", "tiny", "--seed", "8", "--quiet", "--output", sys.argv[3]]))
"""


@pytest.mark.own_spark
def test_a_second_generate_while_the_first_runs_exits_2_naming_it_and_the_first_completes(spark, tmp_path):
    folder = tmp_path / "warehouse"
    env = dict(os.environ, SPARK_LOCAL_DIRS=str(tmp_path / "spark-local"))
    ready, go = tmp_path / "second-ready", tmp_path / "second-go"
    second = subprocess.Popen([sys.executable, "-c", SECOND_RUN, str(ready), str(go), str(folder)], cwd=tmp_path,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = subprocess.Popen(
        [str(BIN / "retail-synth"), "generate", "--preset", "tiny", "--output", str(folder), "--quiet"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while not (ready.exists() and _journal_status(folder) == "running"):
        assert first.poll() is None and second.poll() is None, (first.communicate(), second.communicate())
        assert time.monotonic() < deadline
        time.sleep(0.1)
    holder = current_holder(None, Target(output_dir=str(folder)))
    go.touch()
    _, refusal = second.communicate(timeout=600)
    assert first.poll() is None, "the first run ended before the second was refused: no race was tested"
    _, err = first.communicate(timeout=600)

    assert second.returncode == 2, refusal[-3000:]
    lines = [line for line in refusal.splitlines() if line.startswith("retail-synth")]
    assert len(lines) == 1 and "Traceback" not in refusal
    assert f"being written by {holder.run_id} (pid {first.pid} on " in lines[0]
    assert first.returncode == 0, err[-3000:]

    target = Target(output_dir=str(folder))
    runs = RunJournal(spark, target).runs()
    assert [(r.run_id, r.status) for r in runs] == [(holder.run_id, COMPLETE)]
    for table in WRITTEN_TABLES:                         # every commit is the first run's: the second touched nothing
        assert set(commits_after(spark, target, table, -1)) == {holder.run_id}, table
    assert current_holder(None, target) is None and (folder / CLAIM_FILE).is_file()
    assert main(["validate", "--output", str(folder)]) == 0
