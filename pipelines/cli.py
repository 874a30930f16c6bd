"""The `retail-synth` command line: one parser behind the console script, `python -m` and spark-submit.

Input problems are caught before Spark starts and reported as one line on
stderr with exit status 2, so a bad invocation writes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from components.configuration import ConfigError, describe_presets, resolve

SUBCOMMANDS = ("generate", "presets", "validate", "report")


class UsageError(Exception):
    """Bad command-line input; argparse's own errors are routed here too."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", metavar="DIR", help="write path-based Delta tables at DIR/<table> (default ./warehouse)")
    parser.add_argument("--catalog", metavar="C", help="write managed tables C.S.<table> (with --schema)")
    parser.add_argument("--schema", metavar="S", help="schema of the managed tables (with --catalog)")
    parser.add_argument(
        "--remote", metavar="URL",
        help="run over Spark Connect: sc://host:port, or local[N] to start a local server (default: $SPARK_REMOTE)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="retail-synth", description="Inventory-consistent synthetic retail star schema in Delta Lake.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    generate = commands.add_parser("generate", help="generate the gold tables")
    source = generate.add_mutually_exclusive_group()
    source.add_argument("--preset", help="a preset of conf/presets (default: small)")
    source.add_argument("--config", metavar="FILE", help="a YAML file overriding conf/defaults.yaml")
    generate.add_argument("--seed", type=int, help="random seed (default from the config)")
    generate.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
        help="override one setting, e.g. --set customers.customer_count=1000 (repeatable)",
    )
    _add_target_arguments(generate)

    commands.add_parser("presets", help="list the presets and their sizes")

    validate = commands.add_parser("validate", help="check the written gold tables against the contracts and quickstart queries")
    _add_target_arguments(validate)
    validate.add_argument("--json", action="store_true", help="print the results as JSON")

    report = commands.add_parser("report", help="write an HTML report with charts of the written gold tables")
    _add_target_arguments(report)
    report.add_argument("--out", metavar="FILE", help="the HTML file (default DIR/report.html, or ./report.html for a catalog)")
    return parser


def target_from(args):
    from pipelines.delta_tables import Target

    if args.catalog or args.schema:
        if args.output:
            raise UsageError("give either --output DIR or --catalog C --schema S, not both")
        if not (args.catalog and args.schema):
            raise UsageError("--catalog and --schema go together: give both")
        return Target(catalog=args.catalog, schema=args.schema)
    return Target(output_dir=args.output or "warehouse")


def remote_of(args) -> str | None:
    """The Spark Connect URL (--remote, else $SPARK_REMOTE), checked before Spark starts."""
    from pipelines.spark_session import RemoteError, remote_from

    try:
        return remote_from(args.remote)
    except RemoteError as exc:
        raise UsageError(str(exc)) from None


def _session(target, remote: str | None, **options):
    """The Spark session for `target`; the embedded catalog (a Derby metastore) only when the target is a catalog."""
    from pipelines.spark_session import get_spark

    return get_spark(remote=remote, persistent_catalog=not target.is_path, **options)


def _generate(args) -> int:
    preset = args.preset if args.preset or args.config else "small"
    config = resolve(preset=preset, config_file=args.config, assignments=args.assignments, seed=args.seed)
    target = target_from(args)
    remote = remote_of(args)

    from pipelines.generate import run_generation

    spark = _session(target, remote, driver_memory=config.spark.driver_memory,
                     arrow_batch_rows=config.output.batch_rows)
    print(f"retail-synth: preset {config.preset}, seed {config.seed}, "
          f"{config.start_date}..{config.end_date} -> {target.describe()}", flush=True)
    summary = run_generation(config, target, spark)
    _print_summary(summary)
    return 0


def _print_summary(summary: dict) -> None:
    width = max(len(t["table"]) for t in summary["tables"])
    print(f"\n{'table':<{width}}  {'rows':>12}  {'seconds':>8}")
    for t in summary["tables"]:
        print(f"{t['table']:<{width}}  {t['rows']:>12,}  {t['seconds']:>8.1f}")
    total_rows = sum(t["rows"] for t in summary["tables"])
    print(f"{'total':<{width}}  {total_rows:>12,}  {summary['seconds']:>8.1f}")


def _existing_target(args):
    """The target to read; a path target without any table is an error before Spark starts."""
    from pipelines.delta_tables import RUN_MARKER

    target = target_from(args)
    if target.is_path:
        folder = Path(target.output_dir)
        if not (folder / RUN_MARKER).is_file() and not any(folder.glob("gold_*/_delta_log")):
            raise UsageError(f"no gold tables in {folder.resolve()}: run 'retail-synth generate --output {folder}' first")
    return target


def _validate(args) -> int:
    remote, target = remote_of(args), _existing_target(args)

    from pipelines.validate import NothingToValidate, format_lines, validate

    try:
        validation = validate(_session(target, remote), target)
    except NothingToValidate as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps(validation.as_json(), indent=2, default=str))
    else:
        print("\n".join(format_lines(validation)))
    failed = sum(not r.passed for r in validation.results)
    skipped = f"; not in this run: {', '.join(validation.not_in_run)}" if validation.not_in_run else ""
    print(f"retail-synth: {len(validation.results)} checks, {failed} failed{skipped}", file=sys.stderr)
    return 0 if validation.passed else 1


def _report(args) -> int:
    remote, target = remote_of(args), _existing_target(args)

    from pipelines.report import NothingToReport, default_report_path, write_report

    try:
        path = write_report(_session(target, remote), target, Path(args.out) if args.out else default_report_path(target))
    except NothingToReport as exc:
        raise UsageError(str(exc)) from None
    print(f"retail-synth: report written to {path.resolve()}")
    return 0


def _presets(_args) -> int:
    rows = describe_presets()
    print(f"{'preset':<8} {'customers':>10} {'products':>9} {'locations':>9} {'days':>5} {'inventory rows':>15}  description")
    for r in rows:
        print(f"{r['preset']:<8} {r['customers']:>10,} {r['products']:>9,} {r['locations']:>9} "
              f"{r['days']:>5} {r['inventory_rows']:>15,}  {r['description']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].startswith("--") and argv[0] not in ("--help",):
        argv.insert(0, "generate")
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return 2
        return {"generate": _generate, "presets": _presets, "validate": _validate,
                "report": _report}[args.command](args)
    except (ConfigError, UsageError) as exc:
        print(f"retail-synth: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
