"""One writer per target: a run claims the target before it touches anything, and holds it to the end.

The claim names its holder (run id, host, pid, since when). Taking it is a
compare-and-set: the claimant reads the claim and, when nobody live holds
it, swaps in its own token on condition that the claim is still the one it
read, so of two runs racing for a target exactly one wins and the other is
refused (`TargetClaimed`, one line naming the holder) with nothing touched.

- Path targets keep it in `DIR/_retail_synth_claim.json`, next to the run
  marker, and swap it under an exclusive `flock` of that file. (Delta's own
  commit is no lock here: on a local disk its log store serialises commits
  within one JVM only, and two processes can both write the same version.)
- Catalog targets keep it in a one-row Delta table `retail_synth_claim`
  and swap it with a conditional UPDATE: of two concurrent UPDATEs of that
  row's file Delta commits one and fails the other, which re-reads the claim.

The holder refreshes a heartbeat every HEARTBEAT_SECONDS from a daemon
thread. A claim whose heartbeat is older than EXPIRY_SECONDS, or whose
holder process on this host is gone, is stale: the next claimant takes it
over, so a crashed run blocks its target for at most a minute.
`retail-synth rollback` takes the claim like a run and leaves the target
unclaimed. Claims are not data: wall-clock time is what they should read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from pyspark.sql import types as T

from retail_synth.spark.delta_tables import RUN_ID_PROPERTY, Target
from retail_synth.spark.guard import RunRefused

CLAIM_FILE = "_retail_synth_claim.json"
CLAIM_TABLE = "retail_synth_claim"
HEARTBEAT_SECONDS = 10.0    # how often the holder refreshes its claim
EXPIRY_SECONDS = 60.0       # a claim this long without a heartbeat is stale: its holder is taken for dead
SWAP_ATTEMPTS = 5           # reads and swaps before a claimant that keeps losing races gives up

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Holder:
    """Who holds a target: a token unique to the claim, and what the refusal of a second run names."""

    token: str
    run_id: str
    host: str
    pid: int
    claimed_at: str         # ISO 8601, UTC
    heartbeat_at: str       # ISO 8601, UTC, with microseconds: every heartbeat changes it

    def describe(self) -> str:
        return f"{self.run_id} (pid {self.pid} on {self.host}, since {self.claimed_at[:19]}Z)"

    def is_live(self, now: dt.datetime, expiry_seconds: float = EXPIRY_SECONDS,
                written_at: dt.datetime | None = None) -> bool:
        """Its heartbeat is recent, and when it runs on this host its process still exists.

        `written_at`, when the claim was last written, counts as a heartbeat:
        a write slower than the expiry (a cold catalog) still shows a live holder.
        """
        beat = max(dt.datetime.fromisoformat(self.heartbeat_at), written_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc))
        if (now - beat).total_seconds() > expiry_seconds:
            return False
        return self.host != socket.gethostname() or process_exists(self.pid)


def process_exists(pid: int) -> bool:
    """The process runs (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:         # someone else's process
        return True
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


class TargetClaimed(RunRefused):
    """Another live run holds the target; nothing was touched."""

    def __init__(self, target: Target, holder: Holder):
        super().__init__([(f"{target.describe()} is being written by {holder.describe()}: one run writes a target "
                           f"at a time; wait for it to end (a crashed run's claim lapses {EXPIRY_SECONDS:.0f} s after "
                           "its last heartbeat)")])
        self.holder = holder


class PathClaims:
    """The claim as a JSON file next to the tables, swapped under an exclusive lock of the file."""

    def __init__(self, target: Target):
        self.path = target.folder / CLAIM_FILE

    def read(self) -> Holder | None:
        if not self.path.is_file():
            return None
        with self._locked() as file:
            return _decoded(file.read())

    def prepare(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def written_at(self) -> dt.datetime | None:
        """None: a write under the lock takes no time, the holder's own stamp says when it was."""
        return None

    def swap(self, seen: Holder | None, new: Holder | None) -> bool:
        """Write `new` if the claim is still `seen`; whether it was."""
        with self._locked() as file:
            if _decoded(file.read()) != seen:
                return False
            file.seek(0)
            file.truncate()
            file.write(json.dumps({"holder": asdict(new) if new else None}) + "\n")
            file.flush()
            os.fsync(file.fileno())
            return True

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator:
        """The claim file, opened and exclusively locked; the file now at the path, should it have been replaced."""
        while True:
            with os.fdopen(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644), "r+") as file:
                fcntl.flock(file, fcntl.LOCK_EX)
                with contextlib.suppress(FileNotFoundError):
                    if os.stat(self.path).st_ino == os.fstat(file.fileno()).st_ino:
                        yield file
                        return
            # removed (clean) or replaced while we waited for the lock: lock the file that is there now


def _decoded(text: str) -> Holder | None:
    """The holder in a claim file; an empty or torn file (its writer died mid-write) holds nobody."""
    try:
        holder = json.loads(text)["holder"]
        return Holder(**holder) if holder else None
    except (ValueError, KeyError, TypeError):
        return None


CLAIM_SCHEMA = T.StructType([
    T.StructField("token", T.StringType(), True, {"comment": "Unique to the claim; NULL: nobody holds the target."}),
    T.StructField("run_id", T.StringType(), True, {"comment": "The holder's run id."}),
    T.StructField("host", T.StringType(), True, {"comment": "The host the holder runs on."}),
    T.StructField("pid", T.IntegerType(), True, {"comment": "The holder's process id on that host."}),
    T.StructField("claimed_at", T.StringType(), True, {"comment": "When it claimed the target (ISO 8601, UTC)."}),
    T.StructField("heartbeat_at", T.StringType(), True, {"comment": "Its last heartbeat (ISO 8601, UTC)."}),
])


def _sql_value(value: str | int | None) -> str:
    if value is None:
        return "NULL"
    return str(value) if isinstance(value, int) else "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


class CatalogClaims:
    """The claim as the one row of a Delta table `retail_synth_claim`, swapped by a conditional UPDATE."""

    def __init__(self, spark, target: Target):
        self.spark, self.target = spark, target
        self.identifier = target.identifier(CLAIM_TABLE)

    def read(self) -> Holder | None:
        if not self.target.exists(self.spark, CLAIM_TABLE):
            return None
        rows = self.target.read(self.spark, CLAIM_TABLE).where("token IS NOT NULL").collect()
        return Holder(**rows[0].asDict()) if rows else None

    def prepare(self) -> None:
        self.target.prepare(self.spark)

    def written_at(self) -> dt.datetime | None:
        """The time of the table's last commit."""
        if not self.target.exists(self.spark, CLAIM_TABLE):
            return None
        micros = self.spark.sql(f"DESCRIBE HISTORY {self.identifier} LIMIT 1").selectExpr("unix_micros(timestamp)").first()[0]
        return dt.datetime.fromtimestamp(micros / 1e6, dt.timezone.utc)

    def swap(self, seen: Holder | None, new: Holder | None) -> bool:
        """Make the row `new` where it is still `seen`; whether it now is.

        The first claim creates the table holding its row: of two creators
        the second fails (its commit finds the first's, or the table is in
        the catalog), where a CREATE IF NOT EXISTS racing a creation could
        replace the row just claimed. Later claims UPDATE the row on
        condition that it is still `seen`: of two concurrent UPDATEs Delta
        commits the first and fails the other (the file it read was
        rewritten). Either loser's statement raises; `claim` then re-reads.
        """
        values = asdict(new) if new else dict.fromkeys(CLAIM_SCHEMA.fieldNames())
        if seen is None and not self.target.exists(self.spark, CLAIM_TABLE):
            self._create(values)
        else:
            assignments = ", ".join(f"{k} = {_sql_value(v)}" for k, v in values.items())
            condition = ("token IS NULL" if seen is None else
                         f"token = {_sql_value(seen.token)} AND heartbeat_at = {_sql_value(seen.heartbeat_at)}")
            self.spark.sql(f"UPDATE {self.identifier} SET {assignments} WHERE {condition}")
        return self.read() == new

    def _create(self, values: dict) -> None:
        (self.spark.createDataFrame([tuple(values.values())], CLAIM_SCHEMA).coalesce(1)
         .writeTo(self.identifier).using("delta")
         .tableProperty("comment", "Which run holds this schema (retail-synth); one row, NULL token: nobody.")
         .tableProperty(RUN_ID_PROPERTY, "claim")
         .create())

    def remove(self) -> None:
        self.target.drop(self.spark, CLAIM_TABLE)


def claims_of(spark, target: Target) -> PathClaims | CatalogClaims:
    return PathClaims(target) if target.is_path else CatalogClaims(spark, target)


def current_holder(spark, target: Target) -> Holder | None:
    """Who holds the target, live or stale; None when nobody does."""
    return claims_of(spark, target).read()


def live_holder(spark, target: Target, now: Clock = utc_now, expiry_seconds: float = EXPIRY_SECONDS) -> Holder | None:
    claims = claims_of(spark, target)
    holder = claims.read()
    return holder if holder is not None and holder.is_live(now(), expiry_seconds, claims.written_at()) else None


def claimed_refusal(spark, target: Target) -> str | None:
    """The refusal a run would get now, read without touching the target (the plan and the guard show it)."""
    holder = live_holder(spark, target)
    return str(TargetClaimed(target, holder)) if holder else None


def remove_claim(spark, target: Target) -> None:
    """Remove the claim itself (`retail-synth clean`: nothing of the project's stays in the target)."""
    claims_of(spark, target).remove()


def refuse_if_claimed(spark, target: Target) -> None:
    holder = live_holder(spark, target)
    if holder is not None:
        raise TargetClaimed(target, holder)


class Claim:
    """A held claim: a daemon thread keeps its heartbeat; `release()` (or leaving the `with`) frees the target."""

    def __init__(self, claims: PathClaims | CatalogClaims, holder: Holder, now: Clock, heartbeat_seconds: float | None):
        self.claims, self.holder, self.now = claims, holder, now
        self.lost = False                   # another run took the claim over after this one's heartbeat lapsed
        self._lock = threading.Lock()       # one swap of this claim at a time: a heartbeat, or the release
        self._stopped = threading.Event()
        self._beating = None
        if heartbeat_seconds is not None:
            self._beating = threading.Thread(target=self._beat, args=(heartbeat_seconds,), daemon=True,
                                             name="retail-synth-claim-heartbeat")
            self._beating.start()

    def heartbeat(self) -> bool:
        """Refresh the heartbeat; whether the claim is still this run's."""
        with self._lock:
            if self.lost or self._stopped.is_set():
                return not self.lost
            beat = replace(self.holder, heartbeat_at=self.now().isoformat())
            if self.claims.swap(self.holder, beat):
                self.holder = beat
            elif self.claims.read() != self.holder:
                self.lost = True
            return not self.lost

    def _beat(self, seconds: float) -> None:
        while not self._stopped.wait(seconds):
            with contextlib.suppress(Exception):    # a heartbeat cancelled with the run's jobs: the next one retries
                self.heartbeat()

    def release(self) -> None:
        """Free the target, unless another run has taken the claim over meanwhile."""
        self._stopped.set()
        if self._beating is not None:
            self._beating.join()
        with self._lock:
            if not self.lost:
                self.claims.swap(self.holder, None)

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, kind, *_exc) -> None:
        if kind is None:
            self.release()
            return
        with contextlib.suppress(Exception):    # the run's own failure is the one to report; the claim lapses
            self.release()


def claim(spark, target: Target, run_id: str, *, now: Clock = utc_now, expiry_seconds: float = EXPIRY_SECONDS,
          heartbeat_seconds: float | None = HEARTBEAT_SECONDS) -> Claim:
    """Claim `target` for `run_id`, or raise TargetClaimed naming the live run that holds it.

    A stale claim (see Holder.is_live) is taken over. `now`, `expiry_seconds`
    and `heartbeat_seconds` (None: no heartbeat thread) are for tests.
    """
    claims = claims_of(spark, target)
    token = uuid.uuid4().hex
    failure: Exception | None = None
    for attempt in range(SWAP_ATTEMPTS):
        seen = claims.read()
        if seen is not None and seen.is_live(now(), expiry_seconds, claims.written_at()):
            raise TargetClaimed(target, seen)
        if attempt == 0:
            claims.prepare()
        stamp = now().isoformat()
        mine = Holder(token, run_id, socket.gethostname(), os.getpid(), stamp, stamp)
        try:
            if claims.swap(seen, mine):
                return Claim(claims, mine, now, heartbeat_seconds)
        except Exception as error:      # a concurrent claim failed this commit; any other failure recurs
            failure = error
        time.sleep(0.2 * (attempt + 1))     # lost a race: the winner's claim may take a moment to show
    if failure is not None:
        raise failure
    raise RuntimeError(f"could not claim {target.describe()}: the claim kept changing under {SWAP_ATTEMPTS} attempts")
