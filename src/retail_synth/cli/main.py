"""The `retail-synth` command line: one parser behind the console script, `python -m` and spark-submit.

Input problems are caught before Spark starts and reported as one line on
stderr with exit status 2, so a bad invocation writes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

from retail_synth.checks.sql_checks import SqlCheckError
from retail_synth.spec.configuration import (
    DEFAULT_PRESET,
    ConfigError,
    describe_presets,
    describe_scenarios,
    load_config,
    parse_assignment,
    resolve,
)

CLEAN_TOKEN = "DELETE_RETAIL_SYNTH_TABLES"
SPARK_EXTRA = 'pip install "retail-synth[spark]"'


class UsageError(Exception):
    """Bad command-line input; argparse's own errors are routed here too."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


# The last lines of a command's --help: examples, then its exit statuses, as the command returns them.
BAD_INPUT = (2, "bad input: one line on stderr, nothing touched")


def _epilog(examples: list[str], statuses: list[tuple[int, str]]) -> str:
    """The examples, one a line, then each status with its meaning (a meaning's further lines indented under it)."""
    lines = ["examples:", *(f"  {e}" for e in examples), "", "exit status:"]
    lines += [f"  {code:<4} " + meaning.replace("\n", "\n" + " " * 7) for code, meaning in statuses]
    return "\n".join(lines) + "\n"


def _command(commands, name: str, summary: str, description: str, examples: list[str],
             statuses: list[tuple[int, str]]) -> argparse.ArgumentParser:
    """A subcommand whose --help says what it does, shows it at work and lists its exit statuses."""
    return commands.add_parser(name, help=summary, description=description, epilog=_epilog(examples, statuses),
                               formatter_class=argparse.RawDescriptionHelpFormatter)


def _add_remote_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--remote", metavar="URL",
        help="run over Spark Connect: sc://host:port, or local[N] to start a local server (default: $SPARK_REMOTE)",
    )


def _add_target_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """--output, or --catalog with --schema, and --remote; `verb` says what the command does to the tables."""
    parser.add_argument("--output", metavar="DIR", help=f"{verb} path-based Delta tables at DIR/<table> (default ./warehouse)")
    parser.add_argument("--catalog", metavar="C", help=f"{verb} managed tables C.S.<table> (with --schema)")
    parser.add_argument("--schema", metavar="S", help="schema of the managed tables (with --catalog)")
    _add_remote_argument(parser)


def _add_source_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """The path target a command reads (load, journeys)."""
    parser.add_argument("--output", metavar="DIR",
                        help=f"read path-based Delta tables at DIR/<table> (default ./warehouse): {what}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="retail-synth", description="Inventory-consistent synthetic retail star schema in Delta Lake.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=("A command line that starts with a flag is a generate: retail-synth --preset tiny.\n"
                "Every command but presets and scenarios runs on Spark: pip install \"retail-synth[spark]\".\n\n")
        + _epilog(["retail-synth presets",
                   "retail-synth generate --preset tiny --output warehouse",
                   "retail-synth validate --output warehouse",
                   "retail-synth COMMAND --help"],
                  [(0, "done"),
                   (1, ("a run or a load failed (and was rolled back), validate found a failure,\n"
                        "or a rollback was incomplete")),
                   BAD_INPUT,
                   (130, "interrupted (Ctrl-C or SIGTERM): generate and load roll back first")]),
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_generate_command(commands)
    _add_extend_command(commands)
    _add_stream_command(commands)
    _add_listing_commands(commands)
    _add_run_commands(commands)
    _add_check_commands(commands)
    _add_exchange_commands(commands)
    return parser


def _add_generate_command(commands) -> None:
    generate = _command(
        commands, "generate", "generate the gold tables",
        "Write the gold tables of one run. Its configuration is the defaults, then the preset\n"
        "(--preset, default small), then a --config file, then the scenario, then each --set, then\n"
        "--seed. Every input is checked before Spark starts, and a target that looks protected or\n"
        "holds tables retail-synth did not write is refused.",
        ["retail-synth generate --preset tiny --output warehouse",
         "retail-synth generate --preset small --scenario peak-season --seed 7",
         "retail-synth generate --config discounter.yaml --set customers.customer_count=2000 --dry-run",
         "retail-synth generate --catalog main --schema retail --remote sc://host:15002"],
        [(0, "written (with --dry-run: the plan printed, nothing written)"),
         (1, "the run failed: every table it had replaced was put back"),
         (2, ("bad input, a target the guard refuses, or a target another live run is writing:\n"
              "one line on stderr, nothing written")),
         (130, "interrupted (Ctrl-C or SIGTERM): every table it had replaced was put back")])
    generate.add_argument("--preset",
                          help=f"a built-in preset (list them with `retail-synth presets`; default: {DEFAULT_PRESET})")
    generate.add_argument("--config", metavar="FILE",
                          help="a YAML file of settings, layered on the preset (on --preset, else on "
                               f"{DEFAULT_PRESET})")
    generate.add_argument("--seed", type=int, help="random seed (default from the config)")
    generate.add_argument("--scenario", help="a built-in scenario, layered on the preset and --config "
                                             "(list them with `retail-synth scenarios`; default: normal-ops)")
    generate.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
        help="override one setting, e.g. --set customers.customer_count=1000 (repeatable)",
    )
    _add_target_arguments(generate, "write")
    generate.add_argument("--force", action="store_true",
                          help="write even where the target holds foreign tables or matches a protected name")
    generate.add_argument("--dry-run", action="store_true",
                          help="print the plan (tables, estimated rows, target, guard verdict) and write nothing")
    generate.add_argument("--quiet", action="store_true", help="no progress display")


def _add_extend_command(commands) -> None:
    extend = _command(
        commands, "extend", "add the next days to the tables a target holds",
        "Simulate the days after the last one the target holds, from the simulation state its\n"
        "last run stored, and add them to every table: one commit per table. The run's settings\n"
        "come from the target; the same seed gives the same tables as one run over all the days.",
        ["retail-synth extend --output warehouse --days 30",
         "retail-synth extend --output warehouse --until 2024-12-31",
         "retail-synth extend --catalog main --schema retail --days 1"],
        [(0, "extended (with --dry-run: the plan printed, nothing written)"),
         (1, "the extend failed: every table it had changed was put back"),
         (2, ("bad input, a target without a complete run to extend, a --set other than the\n"
              "run's, or a target another live run is writing: one line on stderr, nothing written")),
         (130, "interrupted (Ctrl-C or SIGTERM): every table it had changed was put back")])
    span = extend.add_mutually_exclusive_group(required=True)
    span.add_argument("--days", type=_positive_days, metavar="N", help="the number of days to add")
    span.add_argument("--until", type=_iso_date, metavar="YYYY-MM-DD", help="the new last day")
    extend.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
        help="change how the job runs (spark.*, output.*, guard.* only; repeatable)",
    )
    _add_target_arguments(extend, "extend")
    extend.add_argument("--force", action="store_true",
                        help="extend even where the target holds foreign tables or matches a protected name")
    extend.add_argument("--dry-run", action="store_true",
                        help="print the plan (tables, estimated new rows, guard verdict) and write nothing")
    extend.add_argument("--quiet", action="store_true", help="no progress display")


def _add_stream_command(commands) -> None:
    stream = _command(
        commands, "stream", "add one day at a time to the tables a target holds, on a schedule",
        "Extend the target by one simulated day every --day-seconds seconds, for --days days or\n"
        "until Ctrl-C. Each day is one extend: one commit per table, so a streaming reader sees\n"
        "whole days. A line per day shows the simulated date and how far behind schedule it is.",
        ["retail-synth stream --output warehouse --day-seconds 60",
         "retail-synth stream --output warehouse --day-seconds 0 --days 7"],
        [(0, "streamed every day asked for"),
         (1, "a day failed: its tables were put back; the days before it stay"),
         (2, "bad input, or a target extend refuses: one line on stderr, nothing written"),
         (130, "interrupted (Ctrl-C or SIGTERM): the day being written was put back; the days before it stay")])
    stream.add_argument("--day-seconds", type=_seconds, required=True, metavar="S",
                        help="seconds between two simulated days (0: as fast as they are written)")
    stream.add_argument("--days", type=_positive_days, metavar="N", help="stop after N days (default: until Ctrl-C)")
    stream.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
        help="change how the job runs (spark.*, output.*, guard.* only; repeatable)",
    )
    _add_target_arguments(stream, "extend")


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not seconds >= 0:
        raise argparse.ArgumentTypeError(f"{text} seconds: give 0 or more")
    return seconds


def _positive_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days: give a whole number, 1 or more") from None
    if days < 1:
        raise argparse.ArgumentTypeError(f"{days} days: give 1 or more")
    return days


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: give YYYY-MM-DD") from None


def _add_listing_commands(commands) -> None:
    _command(commands, "presets", "list the built-in presets and their sizes",
             "List the built-in presets: customers, products, locations, days, inventory rows and the\n"
             "rows a run of each is estimated to write. Give one to generate with --preset NAME.",
             ["retail-synth presets", "retail-synth generate --preset medium"], [(0, "listed")])
    _command(commands, "scenarios", "list the built-in scenarios, what each changes and what validate promises for it",
             "List the built-in scenarios, the scenario each one extends and every setting it changes.\n"
             "Give one to generate with --scenario NAME: it combines with any preset.",
             ["retail-synth scenarios", "retail-synth generate --preset tiny --scenario supply-disruption"],
             [(0, "listed")])


def _add_run_commands(commands) -> None:
    """The commands about a target's runs: undo one, remove the tables, list them."""
    rollback = _command(
        commands, "rollback", "put the tables of an unfinished run back to their previous versions",
        "Put the tables of an unfinished run (one stopped too hard to roll itself back, such as by\n"
        "SIGKILL) back to their versions before it, and clear its claim on the target. A target\n"
        "whose last run finished is left as it is; one a live run is writing is refused.",
        ["retail-synth rollback --output warehouse", "retail-synth rollback --catalog main --schema retail"],
        [(0, "rolled back, or nothing to roll back"),
         (1, "the rollback was incomplete: the line says what is left"),
         (2, "bad input, or a live run is writing the target: one line on stderr, nothing touched")])
    _add_target_arguments(rollback, "roll back")

    clean = _command(
        commands, "clean", "list, and with --confirm remove, the tables retail-synth wrote",
        "List the tables retail-synth wrote to a target; with --confirm, remove them and the run\n"
        "journal. Tables it did not write, and other files, are never touched.",
        ["retail-synth clean --output warehouse",
         f"retail-synth clean --output warehouse --confirm {CLEAN_TOKEN}"],
        [(0, "removed"), (2, ("no --confirm (or a wrong token): the tables listed, nothing removed; or bad input,\n"
                              "or a live run is writing the target"))])
    _add_target_arguments(clean, "remove")
    clean.add_argument("--confirm", metavar="TOKEN", help=f"remove them: give {CLEAN_TOKEN}")

    history = _command(
        commands, "history", "list the runs recorded in a target",
        "List the runs recorded in a target's run journal: run id, preset, seed, scenario, start,\n"
        "end, status and rows.",
        ["retail-synth history --output warehouse"], [(0, "listed (also when no run is recorded)"), BAD_INPUT])
    _add_target_arguments(history, "read")


def _add_check_commands(commands) -> None:
    validate = _command(
        commands, "validate", "check the written gold tables against the contracts and quickstart "
                              "queries, and score their realism",
        "Check a target's gold tables against their contracts (schema, keys, row checks), the\n"
        "quickstart SQL checks and the run's scenario promises, and score the realism figures\n"
        "against published ranges. WARN, INFO and TOO_SMALL are not failures. With --database, run the\n"
        "quickstart checks and realism figures on a database that `load` filled.",
        ["retail-synth validate --output warehouse",
         "retail-synth validate --catalog main --schema retail --json",
         "retail-synth validate --database duckdb:///retail.duckdb"],
        [(0, "nothing failed"), (1, "a check failed"),
         (2, "bad input, or no gold tables to check: one line on stderr")])
    _add_target_arguments(validate, "read")
    validate.add_argument("--json", action="store_true", help="print the results as JSON")
    validate.add_argument("--database", metavar="URL",
                          help="run the quickstart checks and realism figures on a database 'load' filled instead "
                               "(--schema: its PostgreSQL schema)")

    report = _command(
        commands, "report", "write an HTML report with charts of the written gold tables",
        "Write one self-contained HTML page of charts of a target's gold tables (the tables\n"
        "are only read).",
        ["retail-synth report --output warehouse", "retail-synth report --output warehouse --out /tmp/retail.html"],
        [(0, "written"), (2, "bad input, or no gold tables to chart: one line on stderr")])
    _add_target_arguments(report, "read")
    report.add_argument("--out", metavar="FILE", help="the HTML file (default DIR/report.html, or ./report.html for a catalog)")


def require_spark(command: str) -> None:
    """Spark is the `spark` extra: a wheel installed without it gets one line naming the extra, not a traceback."""
    try:
        installed = importlib.util.find_spec("pyspark") is not None
    except (ImportError, ValueError):       # a finder that refuses it, or a module left half-imported
        installed = False
    if not installed:
        raise UsageError(f"{command} needs PySpark, which is not installed: {SPARK_EXTRA}")


def target_from(args):
    require_spark(args.command)             # Target lives in the spark layer: every command that has one needs Spark
    from retail_synth.spark.delta_tables import Target, TargetError

    try:
        if args.catalog is not None or args.schema is not None:
            if args.output:
                raise UsageError("give either --output DIR or --catalog C --schema S, not both")
            if not (args.catalog and args.schema):
                raise UsageError("--catalog and --schema go together: give both")
            return Target(catalog=args.catalog, schema=args.schema)
        return Target(output_dir=args.output or "warehouse")
    except TargetError as exc:
        raise UsageError(str(exc)) from None


def remote_of(args) -> str | None:
    """The Spark Connect URL (--remote, else $SPARK_REMOTE), checked before Spark starts."""
    from retail_synth.spark.session import RemoteError, remote_from

    try:
        return remote_from(args.remote)
    except RemoteError as exc:
        raise UsageError(str(exc)) from None


def _session(target, remote: str | None, **options):
    """The Spark session for `target`; the embedded catalog (a Derby metastore) only when the target is a catalog."""
    from retail_synth.spark.session import get_spark

    return get_spark(remote=remote, persistent_catalog=not target.is_path, **options)


def _generate(args) -> int:
    config = load_config(preset=args.preset, config_file=args.config, assignments=args.assignments, seed=args.seed,
                         scenario=args.scenario)
    target = target_from(args)
    remote = remote_of(args)

    from retail_synth.spark.generate import RunAborted
    from retail_synth.spark.guard import RunRefused
    from retail_synth.spark.job import generate, open_session, plan
    from retail_synth.spark.progress import display_mode

    if args.dry_run:
        _print_plan(plan(config, target, open_session(config, target, remote), force=args.force))
        return 0

    with contextlib.ExitStack() as signals:
        def announce(_plan) -> None:
            print(f"retail-synth: preset {config.preset}, scenario {config.scenario_name}, seed {config.seed}, "
                  f"{config.start_date}..{config.end_date} -> {target.describe()}", flush=True)
            signals.enter_context(cancelled_by_signals())

        try:
            summary = generate(config, target=target, remote=remote, force=args.force,
                               progress=display_mode(args.quiet), on_start=announce)
        except RunRefused as refused:
            raise UsageError(str(refused)) from None
        except RunAborted as aborted:
            what = "interrupted" if aborted.interrupted else f"failed: {aborted}"
            print(f"retail-synth: run {what}; {aborted.rollback.describe()}", file=sys.stderr)
            return 130 if aborted.interrupted else 1
    _print_summary(summary)
    return 0


def _extend(args) -> int:
    for assignment in args.assignments:
        parse_assignment(assignment)            # a malformed --set is bad input before Spark starts
    target = target_from(args)
    remote = remote_of(args)

    from retail_synth.spark.generate import RunAborted
    from retail_synth.spark.guard import RunRefused
    from retail_synth.spark.job import extend
    from retail_synth.spark.progress import display_mode

    with contextlib.ExitStack() as signals:
        def announce(plan) -> None:
            config = plan.config
            if args.dry_run:
                _print_plan(plan)
                raise _DryRun
            print(f"retail-synth: extending {target.describe()} to {config.end_date} (preset {config.preset}, "
                  f"scenario {config.scenario_name}, seed {config.seed})", flush=True)
            signals.enter_context(cancelled_by_signals())

        try:
            summary = extend(target=target, days=args.days, until=args.until, assignments=args.assignments,
                             remote=remote, force=args.force, progress=display_mode(args.quiet), on_start=announce)
        except _DryRun:
            return 0
        except RunRefused as refused:
            raise UsageError(str(refused)) from None
        except RunAborted as aborted:
            what = "interrupted" if aborted.interrupted else f"failed: {aborted}"
            print(f"retail-synth: extend {what}; {aborted.rollback.describe()}", file=sys.stderr)
            return 130 if aborted.interrupted else 1
    _print_summary(summary)
    return 0


def _stream(args) -> int:
    for assignment in args.assignments:
        parse_assignment(assignment)
    target = target_from(args)
    remote = remote_of(args)

    from retail_synth.spark.generate import RunAborted, RunInterrupted
    from retail_synth.spark.guard import RunRefused
    from retail_synth.spark.job import stream

    def announce(day) -> None:
        summary = day.summary
        print(f"retail-synth: {summary.end_date} written: {summary.rows:,} rows in {summary.seconds:.1f} s, "
              f"lag {day.lag_seconds:.1f} s", flush=True)

    print(f"retail-synth: streaming into {target.describe()}, a day every {args.day_seconds:g} s"
          + (f" for {args.days} days" if args.days else " until Ctrl-C"), flush=True)
    written = 0

    def counted(day) -> None:
        nonlocal written
        written += 1
        announce(day)

    try:
        with cancelled_by_signals():
            stream(target=target, day_seconds=args.day_seconds, days=args.days, assignments=args.assignments,
                   remote=remote, on_day=counted)
    except RunRefused as refused:
        if written == 0:
            raise UsageError(str(refused)) from None
        print(f"retail-synth: stream stopped after {written} day(s): {refused}", file=sys.stderr)
        return 1
    except RunAborted as aborted:
        what = "interrupted" if aborted.interrupted else f"failed: {aborted}"
        print(f"retail-synth: stream {what} after {written} day(s); the day in progress: "
              f"{aborted.rollback.describe()}", file=sys.stderr)
        return 130 if aborted.interrupted else 1
    except (RunInterrupted, KeyboardInterrupt):
        print(f"retail-synth: stream interrupted after {written} day(s), between two days", file=sys.stderr)
        return 130
    print(f"retail-synth: streamed {written} day(s)")
    return 0


class _DryRun(Exception):
    """An extend asked only for its plan: raised once the plan is known, before anything is written."""


@contextlib.contextmanager
def cancelled_by_signals():
    """SIGINT and SIGTERM raise RunInterrupted in the main thread once; later signals wait for the rollback."""
    from retail_synth.spark.generate import RunInterrupted

    received: list[int] = []

    def interrupt(signum, _frame):
        if not received:
            received.append(signum)
            raise RunInterrupted(signal.Signals(signum).name)

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _print_plan(plan) -> None:
    config, target, estimates, refusals = plan.config, plan.target, plan.estimates, plan.refusals
    width = max(len(t) for t in estimates)
    print(f"plan: preset {config.preset}, seed {config.seed}, scenario {config.scenario_name}, "
          f"{config.start_date}..{config.end_date} -> {target.describe()}")
    for table, rows in estimates.items():
        print(f"  {table:<{width}}  ~{rows:>13,} rows")
    print(f"  {'total':<{width}}  ~{plan.rows:>13,} rows")
    print("guard: would refuse: " + "; ".join(refusals) if refusals else "guard: would write")
    print("dry run: nothing written")


def _print_summary(summary) -> None:
    width = max(len(t.table) for t in summary.tables)
    print(f"\n{'table':<{width}}  {'rows':>12}  {'seconds':>8}")
    for t in summary.tables:
        print(f"{t.table:<{width}}  {t.rows:>12,}  {t.seconds:>8.1f}")
    print(f"{'total':<{width}}  {summary.rows:>12,}  {summary.seconds:>8.1f}")


def _existing_target(args):
    """The target to read; a path target without any table is an error before Spark starts."""
    target = target_from(args)
    from retail_synth.spark.run_journal import RUN_MARKER

    if target.is_path:
        folder = Path(target.output_dir)
        if not (folder / RUN_MARKER).is_file() and not any(folder.glob("gold_*/_delta_log")):
            raise UsageError(f"no gold tables in {folder.resolve()}: run 'retail-synth generate --output {folder}' first")
    return target


def _validate(args) -> int:
    if args.database is not None:
        return _validate_database(args)
    remote, target = remote_of(args), _existing_target(args)

    from retail_synth.checks.validate import NothingToValidate, format_lines, validate

    try:
        validation = validate(_session(target, remote), target)
    except NothingToValidate as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps(validation.as_json(), indent=2, default=str))
    else:
        print("\n".join(format_lines(validation)))
    skipped = f"; not in this run: {', '.join(validation.not_in_run)}" if validation.not_in_run else ""
    print(f"retail-synth: {validation.tally}{skipped}", file=sys.stderr)
    return 0 if validation.passed else 1


def _report(args) -> int:
    remote, target = remote_of(args), _existing_target(args)

    from retail_synth.report.report import (
        NothingToReport,
        default_report_path,
        write_report,
    )

    try:
        path = write_report(_session(target, remote), target, Path(args.out) if args.out else default_report_path(target))
    except NothingToReport as exc:
        raise UsageError(str(exc)) from None
    print(f"retail-synth: report written to {path.resolve()}")
    return 0


def _rollback(args) -> int:
    remote, target = remote_of(args), target_from(args)
    from retail_synth.spark.guard import RunRefused
    from retail_synth.spark.rollback import roll_back
    from retail_synth.spark.run_journal import RUNNING, RunJournal
    from retail_synth.spark.target_claim import claim, current_holder

    spark = _session(target, remote)
    run = RunJournal(spark, target).last()
    if (run is None or run.status != RUNNING) and current_holder(spark, target) is None:
        return _nothing_to_roll_back(target, run)
    try:        # like a run: refused while a live run holds the target; a stale claim is cleared
        held = claim(spark, target, "retail-synth rollback")
    except RunRefused as refused:
        raise UsageError(str(refused)) from None
    with held:
        run = RunJournal(spark, target).last()
        if run is None or run.status != RUNNING:
            return _nothing_to_roll_back(target, run)
        outcome = roll_back(spark, target, run)
    print(f"retail-synth: rolled back run {run.run_id}: {outcome.describe()}")
    return 0 if outcome.complete else 1


def _nothing_to_roll_back(target, run) -> int:
    state = f"its last run {run.run_id} is {run.status}" if run else "it records no run"
    print(f"retail-synth: nothing to roll back in {target.describe()}: {state}")
    return 0


def _clean(args) -> int:
    remote, target = remote_of(args), target_from(args)
    from retail_synth.spark.guard import RunRefused, tables_by_owner
    from retail_synth.spark.run_journal import JOURNAL_TABLE, RunJournal
    from retail_synth.spark.target_claim import CLAIM_TABLE, refuse_if_claimed, remove_claim

    spark = _session(target, remote)
    ours = [t for t in tables_by_owner(spark, target)[0] if t not in (JOURNAL_TABLE, CLAIM_TABLE)]
    if args.confirm != CLEAN_TOKEN:
        print(f"retail-synth: {len(ours)} table(s) of retail-synth in {target.describe()}:")
        for table in ours:
            print(f"  {table}")
        wrong = " (the token given is not it)" if args.confirm else ""
        raise UsageError(f"nothing removed: add --confirm {CLEAN_TOKEN} to remove them{wrong}")
    try:
        refuse_if_claimed(spark, target)
    except RunRefused as refused:
        raise UsageError(str(refused)) from None
    for table in ours:
        target.drop(spark, table)
    RunJournal(spark, target).remove()
    remove_claim(spark, target)
    print(f"retail-synth: removed {len(ours)} table(s) and the run journal from {target.describe()}")
    return 0


def _history(args) -> int:
    remote, target = remote_of(args), target_from(args)
    from retail_synth.spark.run_journal import RunJournal

    runs = RunJournal(_session(target, remote), target).runs()
    if not runs:
        print(f"retail-synth: no runs recorded in {target.describe()}")
        return 0
    print(f"{'run id':<34} {'preset':<8} {'seed':>6} {'scenario':<17} {'started':<25} {'ended':<25} {'status':<11} {'rows':>13}")
    for r in runs:
        print(f"{r.run_id:<34} {r.preset:<8} {r.seed:>6} {r.scenario:<17} {r.started_at:<25} {r.ended_at or '-':<25} "
              f"{r.status:<11} {r.rows:>13,}")
    return 0


def _presets(_args) -> int:
    from retail_synth.tables.row_estimates import estimated_rows

    rows = describe_presets()
    print(f"{'preset':<8} {'customers':>10} {'products':>9} {'locations':>9} {'days':>5} {'inventory rows':>15} "
          f"{'estimated rows':>15}  description")
    for r in rows:
        total = sum(estimated_rows(resolve(preset=r["preset"])).values())
        print(f"{r['preset']:<8} {r['customers']:>10,} {r['products']:>9,} {r['locations']:>9} "
              f"{r['days']:>5} {r['inventory_rows']:>15,} {total:>15,}  {r['description']}")
    return 0


def _scenarios(_args) -> int:
    for r in describe_scenarios():
        extends = f" (extends {r['extends']})" if r["extends"] else ""
        print(f"{r['scenario']}{extends}\n  {r['description']}")
        for key, value in r["changes"].items():
            print(f"    {key} = {value}")
    return 0


# ---------------------------------------------------------------- taking the tables elsewhere: export, load, journeys

def _add_exchange_commands(commands) -> None:
    from retail_synth.io.export import COMPRESSIONS, FORMATS
    from retail_synth.spec.database_url import ALLOWED

    export = _command(
        commands, "export", "write the gold tables as Parquet, CSV or JSON files with a manifest",
        "Write a target's gold tables as Parquet, CSV or JSON-lines files, one folder per table,\n"
        "and manifest.json (each table's files, rows and columns). The tables are only read.",
        ["retail-synth export --output warehouse --format parquet --to /tmp/retail-files",
         "retail-synth export --output warehouse --format csv --tables gold_sales_fact --single-file --to /tmp/sales"],
        [(0, "exported"), (2, "bad input (such as a --to folder holding other files): one line on stderr")])
    _add_target_arguments(export, "read")
    export.add_argument("--format", required=True, choices=FORMATS, help="file format")
    export.add_argument("--to", required=True, metavar="FOLDER", help="one folder per table and manifest.json go here")
    export.add_argument("--tables", metavar="T,...", help="only these tables (default: every gold table of the target)")
    export.add_argument("--single-file", action="store_true", help="one file per table")
    export.add_argument("--compression", metavar="C",
                        help="; ".join(f"{f}: {', '.join(c)}" for f, c in COMPRESSIONS.items()) + " (default: the first)")

    load = _command(
        commands, "load", "load the gold tables into PostgreSQL, SQLite or DuckDB in one transaction",
        "Load the gold tables of a path target into PostgreSQL, SQLite or DuckDB in one\n"
        "transaction, with tables and keys from the contracts. It commits only when every table's\n"
        "row count equals Delta's; a failure or Ctrl-C leaves nothing of it in the database.",
        ["retail-synth load --output warehouse --to duckdb:///retail.duckdb",
         "retail-synth load --output warehouse --to postgresql://me@localhost/retail --schema retail --replace"],
        [(0, "committed"), (1, "the load failed: rolled back, nothing of it stays in the database"),
         (2, "bad input, or the database already holds retail-synth tables (see --replace)"),
         (130, "interrupted (Ctrl-C or SIGTERM): rolled back")])
    _add_source_argument(load, "the tables to load")
    load.add_argument("--to", required=True, metavar="URL", help=ALLOWED)
    load.add_argument("--schema", metavar="S", help="PostgreSQL schema to create the tables in (default: the current one)")
    load.add_argument("--replace", action="store_true",
                      help="drop retail-synth's tables already in the database first (only those)")
    load.add_argument("--quiet", action="store_true", help="no progress display")
    _add_remote_argument(load)

    journeys = _command(
        commands, "journeys", "write YAML workflow journeys drawn from the gold tables",
        "Write journeys drawn from the gold tables of a path target: one YAML file per workflow\n"
        "(complete-purchase, cart-abandonment, recovered-cart, lost-to-stockout, return-and-restock),\n"
        "each journey a run of steps in time order, every step naming the row of its table, and\n"
        "index.yaml. The same tables always give the same files.",
        ["retail-synth journeys --output warehouse --to /tmp/journeys",
         "retail-synth journeys --output warehouse --to /tmp/journeys --per-workflow 10"],
        [(0, "written"), BAD_INPUT])
    _add_source_argument(journeys, "the tables to draw from")
    journeys.add_argument("--to", required=True, metavar="FOLDER", help="the workflow files and index.yaml go here")
    journeys.add_argument("--per-workflow", type=int, default=5, metavar="N", help="journeys per workflow (default 5)")
    _add_remote_argument(journeys)


def _chosen_tables(spec: str | None) -> list[str] | None:
    from retail_synth.spec.contracts import all_tables

    if spec is None:
        return None
    chosen = [t.strip() for t in spec.split(",") if t.strip()]
    unknown = [t for t in chosen if t not in all_tables()]
    if unknown or not chosen:
        raise UsageError(f"--tables: unknown table '{unknown[0] if unknown else spec}': use gold tables, "
                         f"comma-separated, from {', '.join(all_tables())}")
    return chosen


def _export_folder(path: str) -> Path:
    """The export folder: new, empty, or a previous export (it has a manifest), never a folder of other files."""
    from retail_synth.io.export import MANIFEST

    folder = Path(path)
    if folder.exists() and (not folder.is_dir() or (any(folder.iterdir()) and not (folder / MANIFEST).is_file())):
        raise UsageError(f"--to {folder}: not empty and not a previous export (no {MANIFEST}): give a new or empty folder")
    return folder


def _export(args) -> int:
    from retail_synth.io.export import COMPRESSIONS, export_tables, gold_tables_in

    compression = args.compression or COMPRESSIONS[args.format][0]
    if compression not in COMPRESSIONS[args.format]:
        raise UsageError(f"--compression {compression!r} does not apply to {args.format}: "
                         f"use one of {', '.join(COMPRESSIONS[args.format])}")
    remote, target, chosen = remote_of(args), _existing_target(args), _chosen_tables(args.tables)
    folder = _export_folder(args.to)
    if target.is_path and chosen:
        absent = [t for t in chosen if not target.exists(None, t)]
        if absent:
            raise UsageError(f"--tables: {', '.join(absent)} not in {target.describe()}")
    spark = _session(target, remote)
    tables = chosen or gold_tables_in(spark, target)
    exported = export_tables(spark, target, tables, folder, args.format, compression, args.single_file,
                             on_table=lambda e: print(f"{e.table}: {e.rows:,} rows, {len(e.files)} file(s)", flush=True))
    print(f"retail-synth: exported {len(exported)} table(s), {sum(e.rows for e in exported):,} rows, "
          f"as {args.format} to {folder.resolve()}")
    return 0


def _database_of(url: str | None, schema: str | None, command: str):
    from retail_synth.spec.database_url import DatabaseUrlError, parse_database_url

    try:
        database = parse_database_url(url)
    except DatabaseUrlError as exc:
        raise UsageError(str(exc)) from None
    require_spark(command)          # load reads Delta; validate --database shares its checks with validate's
    from retail_synth.spark.delta_tables import IDENTIFIER

    if schema is not None and (not database.dialect.has_schemas or not IDENTIFIER.fullmatch(schema)):
        raise UsageError(f"--schema {schema!r}: only for postgresql://, a name of letters, digits and _")
    return database


def _open_database(database, schema: str | None):
    from retail_synth.io.database_session import DatabaseSession

    try:
        return DatabaseSession(database, schema)
    except Exception as exc:
        raise UsageError(f"cannot open {database.describe()}: {str(exc).strip().splitlines()[0]}") from None


def _load(args) -> int:
    database = _database_of(args.to, args.schema, args.command)
    remote, target = remote_of(args), _existing_target(_path_source(args))
    session = _open_database(database, args.schema)
    present = session.gold_tables()
    if present and not args.replace:
        session.discard()
        shown = ", ".join(present[:3]) + (", ..." if len(present) > 3 else "")
        raise UsageError(f"{database.describe()} already holds {len(present)} retail-synth table(s) "
                         f"({shown}): add --replace to drop and reload them")

    from retail_synth.io.export import delta_row_counts
    from retail_synth.io.load import SparkSnapshot, StreamedRows, load, tables_to_load
    from retail_synth.spark.generate import RunInterrupted
    from retail_synth.spark.progress import RunProgress, display_mode

    try:
        spark = _session(target, remote)
        tables = tables_to_load(spark, target)
        delta_rows = delta_row_counts(spark, target, tables)
    except BaseException:
        session.discard()
        raise
    print(f"retail-synth: loading {len(tables)} tables, {sum(delta_rows.values()):,} rows, "
          f"{target.describe()} -> {database.describe()}", flush=True)
    streamed = StreamedRows()
    progress = RunProgress(delta_rows, display_mode(args.quiet), streamed)
    started = time.perf_counter()
    try:
        with cancelled_by_signals(), tempfile.TemporaryDirectory(prefix="retail-synth-load-") as staging:
            loaded = load(session, tables, delta_rows, SparkSnapshot(spark, target, Path(staging), streamed),
                          args.replace, progress, streamed)
    except (KeyboardInterrupt, RunInterrupted):
        progress.close()
        print(f"retail-synth: load interrupted; rolled back, nothing of it stays in {database.describe()}", file=sys.stderr)
        return 130
    except Exception as exc:
        progress.close()
        print(f"retail-synth: load failed: {str(exc).strip().splitlines()[0]}; rolled back, "
              f"nothing of it stays in {database.describe()}", file=sys.stderr)
        return 1
    finally:
        progress.close()
    width = max(len(t.table) for t in loaded)
    print(f"\n{'table':<{width}}  {'delta rows':>12}  {'loaded rows':>12}  {'seconds':>8}  {'rows/s':>10}")
    for t in loaded:
        print(f"{t.table:<{width}}  {t.delta_rows:>12,}  {t.database_rows:>12,}  {t.seconds:>8.1f}  {t.rows_per_second:>10,.0f}")
    seconds = time.perf_counter() - started     # the whole load: tables, foreign keys added after them, commit
    rows = sum(t.database_rows for t in loaded)
    print(f"{'total':<{width}}  {sum(t.delta_rows for t in loaded):>12,}  {rows:>12,}  {seconds:>8.1f}  "
          f"{rows / seconds if seconds else 0:>10,.0f}")
    print(f"retail-synth: row counts equal Delta for all {len(loaded)} tables; committed to {database.describe()}")
    return 0


def _path_source(args):
    """A path source for commands whose --schema names something else (load, validate --database)."""
    return argparse.Namespace(output=args.output, catalog=None, schema=None, command=args.command)


def _validate_database(args) -> int:
    if args.catalog or args.output:
        raise UsageError("--database checks a loaded database: give it without --output or --catalog")
    database = _database_of(args.database, args.schema, args.command)
    if database.dialect.name == "sqlite":
        raise UsageError("--database: the quickstart checks run on postgresql:// and duckdb://, not sqlite://")
    from retail_synth.checks.validate import format_lines
    from retail_synth.checks.validate_database import validate_database

    session = _open_database(database, args.schema)
    try:
        validation = validate_database(session)
    finally:
        session.discard()
    if args.json:
        print(json.dumps(validation.as_json(), indent=2, default=str))
    else:
        print("\n".join(format_lines(validation)))
    print(f"retail-synth: {validation.tally} on {database.describe()}", file=sys.stderr)
    return 0 if validation.passed else 1


def _journeys(args) -> int:
    if args.per_workflow < 1:
        raise UsageError(f"--per-workflow {args.per_workflow}: give a whole number of journeys, at least 1")
    remote, target = remote_of(args), _existing_target(_path_source(args))
    folder = Path(args.to)
    if folder.exists() and (not folder.is_dir() or (any(folder.iterdir()) and not (folder / "index.yaml").is_file())):
        raise UsageError(f"--to {folder}: not empty and not previous journeys (no index.yaml): give a new or empty folder")
    from retail_synth.io.journeys import write_journeys

    index = write_journeys(_session(target, remote), target, folder, args.per_workflow)
    for workflow in index["workflows"]:
        print(f"{workflow['name']}: {workflow['journey_count']} journey(s) -> {folder / workflow['file']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].startswith("--") and argv[0] not in ("--help", "--version"):
        argv.insert(0, "generate")
    try:
        args = build_parser().parse_args(argv)
        if args.version:
            from retail_synth import __version__

            print(f"retail-synth {__version__}")
            return 0
        if args.command is None:
            build_parser().print_help()
            return 2
        return {"generate": _generate, "extend": _extend, "stream": _stream, "presets": _presets,
                "scenarios": _scenarios, "validate": _validate,
                "report": _report, "rollback": _rollback, "clean": _clean, "history": _history,
                "export": _export, "load": _load, "journeys": _journeys}[args.command](args)
    except (ConfigError, UsageError, SqlCheckError) as exc:     # a SQL check file or realism range out of step
        print(f"retail-synth: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
