"""`make submit`: run a retail-synth command with spark-submit on any master, shipping what executors need.

Executors get the code as a zip through --py-files: the wheel itself under a
`.zip` name (PySpark puts only .zip/.egg/.jar files on the executors' path),
with conf/ and contracts/ inside (src/retail_synth/spec/resources.py). The Delta JARs go
with --jars from the project's Ivy cache, or --packages before the first
resolution. spark-submit is this venv's pyspark, started with SPARK_HOME and
the driver's Python set, because its launcher would otherwise look for
pyspark with the system python3. Executors run $PYSPARK_PYTHON (or
`--conf spark.pyspark.python=...`), which needs the runtime libraries only.
The arguments are checked as `retail-synth` checks them, so bad input is one
line and exit 2 before Spark starts.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pyspark

from retail_synth.cli.main import UsageError, build_parser, target_from
from retail_synth.spark.session import (
    ERRORS_ONLY_LOG4J,
    LOCAL_MASTER,
    spark_submit_arguments,
)
from retail_synth.spec.configuration import ConfigError, load_config

MAIN_SCRIPT = Path(__file__).resolve().parent.parent / "__main__.py"   # spark-submit needs a file; it runs the CLI


def check_job_arguments(job_args: list[str]) -> None:
    """Raise UsageError or ConfigError for arguments `retail-synth` would refuse."""
    args = build_parser().parse_args(job_args)
    if args.command is None:
        raise UsageError("give a retail-synth command in ARGS, e.g. ARGS=\"generate --preset tiny --output DIR\"")
    if hasattr(args, "catalog"):
        target_from(args)
    if args.command == "generate":        # the configuration `retail-synth generate` would run, scenario included
        load_config(preset=args.preset, config_file=args.config, assignments=args.assignments, seed=args.seed,
                    scenario=args.scenario)


def code_zip(wheel: Path, build_dir: Path) -> Path:
    """The wheel under a .zip name in `build_dir`, the form --py-files puts on the executors' path."""
    if not wheel.is_file():
        raise UsageError(f"no wheel at {wheel}: run make dist")
    build_dir.mkdir(parents=True, exist_ok=True)
    archive = build_dir / f"{wheel.stem}.zip"
    shutil.copyfile(wheel, archive)
    return archive


def submit_command(master: str, archive: Path, log4j: Path, spark_options: list[str], job_args: list[str]) -> list[str]:
    """The spark-submit command line; `spark_options` come last but for the job, so they override ours."""
    spark_home = Path(pyspark.__file__).parent
    # A driver on this machine runs this Python: spark.pyspark.python, meant for executors, would win over the
    # environment's PYSPARK_DRIVER_PYTHON, so the driver's is set as a conf too. In cluster mode the cluster picks.
    in_cluster = any(option in ("cluster", "--deploy-mode=cluster", "spark.submit.deployMode=cluster")
                     for option in spark_options)
    driver_python = [] if in_cluster else ["--conf", f"spark.pyspark.driver.python={sys.executable}"]
    return [
        str(spark_home / "bin" / "spark-submit"), "--master", master,
        *spark_submit_arguments(),
        "--py-files", str(archive),
        "--driver-java-options", f"-Dlog4j2.configurationFile={log4j.resolve().as_uri()}",
        "--conf", "spark.ui.showConsoleProgress=false",
        *driver_python,
        *spark_options,
        str(MAIN_SCRIPT), *job_args,
    ]


def submit_environment(master: str, environ=os.environ) -> dict[str, str]:
    """SPARK_HOME of this venv's pyspark; on a local master the executors run this Python too."""
    env = dict(environ, SPARK_HOME=str(Path(pyspark.__file__).parent))
    if LOCAL_MASTER.fullmatch(master):
        env.setdefault("PYSPARK_PYTHON", sys.executable)
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make submit", description=__doc__.splitlines()[0])
    parser.add_argument("--master", required=True, help="spark://host:7077, yarn, k8s://https://host:443, local[N]")
    parser.add_argument("--code", required=True, type=Path, help="the wheel built by make dist")
    parser.add_argument("--spark-options", default="", help="passed to spark-submit unchanged (SUBMIT_OPTS)")
    parser.add_argument("--build-dir", type=Path, default=Path("build"), help="where the zip and log setup go")
    parser.add_argument("job_args", nargs=argparse.REMAINDER, help="a retail-synth command and its flags")
    args = parser.parse_args(argv)
    job_args = args.job_args[1:] if args.job_args[:1] == ["--"] else args.job_args
    try:
        if not args.master.strip():
            raise UsageError("MASTER is empty: give spark://host:port, yarn, k8s://URL or local[N]")
        check_job_arguments(job_args)
        spark_options = shlex.split(args.spark_options)
        archive = code_zip(args.code, args.build_dir)
    except (UsageError, ConfigError, ValueError) as exc:
        print(f"make submit: error: {exc}", file=sys.stderr)
        return 2
    log4j = args.build_dir / "log4j2-submit.properties"
    log4j.write_text(ERRORS_ONLY_LOG4J)
    command = submit_command(args.master, archive, log4j, spark_options, job_args)
    return subprocess.run(command, check=False, env=submit_environment(args.master)).returncode


if __name__ == "__main__":
    sys.exit(main())
