"""A wheel installed without the `spark` extra: each command that needs Spark says so in one line, exit status 2.

The commands run in a child Python whose import system refuses `pyspark` (a meta path finder placed
first), as if the extra had not been installed; nothing is mocked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from retail_synth.cli.main import SPARK_EXTRA, build_parser

NOT_SPARK = {"presets", "scenarios"}

CHILD = r"""
import contextlib, io, json, sys

class NoPySpark:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "pyspark":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoPySpark())
from retail_synth.cli.main import main

results = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    results.append({"argv": argv, "status": status, "stdout": out.getvalue(), "stderr": err.getvalue()})
results.append({"pyspark_imported": any(m.partition(".")[0] == "pyspark" for m in sys.modules)})
print(json.dumps(results))
"""


def _commands() -> set[str]:
    return set(build_parser()._subparsers._group_actions[0].choices)


def _run_without_pyspark(commands: list[list[str]], cwd: Path) -> list[dict]:
    result = subprocess.run([sys.executable, "-c", CHILD, json.dumps(commands)], check=False, cwd=cwd, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_every_command_that_needs_spark_names_the_extra_in_one_line(tmp_path):
    out = str(tmp_path / "warehouse")
    commands = [
        ["generate", "--preset", "tiny", "--output", out],
        ["generate", "--preset", "tiny", "--output", out, "--dry-run"],
        ["extend", "--output", out, "--days", "7"],
        ["stream", "--output", out, "--day-seconds", "1", "--days", "2"],
        ["validate", "--output", out],
        ["validate", "--database", f"duckdb:///{tmp_path / 'retail.duckdb'}"],
        ["report", "--output", out],
        ["history", "--output", out],
        ["rollback", "--output", out],
        ["clean", "--output", out],
        ["export", "--output", out, "--format", "csv", "--to", str(tmp_path / "files")],
        ["load", "--output", out, "--to", f"duckdb:///{tmp_path / 'retail.duckdb'}"],
        ["journeys", "--output", out, "--to", str(tmp_path / "journeys")],
    ]
    assert {argv[0] for argv in commands} == _commands() - NOT_SPARK
    *results, imported = _run_without_pyspark(commands, tmp_path)
    for result in results:
        command = result["argv"][0]
        assert result["status"] == 2, result
        assert result["stderr"].splitlines() == [
            f"retail-synth: error: {command} needs PySpark, which is not installed: {SPARK_EXTRA}"], result
        assert result["stdout"] == "", result
    assert imported == {"pyspark_imported": False}
    assert sorted(p.name for p in tmp_path.iterdir()) == []         # nothing written, no database file created


def test_input_is_checked_first_and_the_commands_without_spark_still_work(tmp_path):
    *results, _ = _run_without_pyspark([["generate", "--preset", "enormous"], ["presets"], ["scenarios"]], tmp_path)
    unknown, presets, scenarios = results
    assert unknown["status"] == 2 and "unknown preset 'enormous'" in unknown["stderr"]
    assert presets["status"] == 0 and "tiny" in presets["stdout"]
    assert scenarios["status"] == 0 and "normal-ops" in scenarios["stdout"]


def test_every_command_that_runs_spark_takes_remote_and_no_other():
    """docs/cli.md says it once: every command but presets and scenarios takes --remote."""
    parser = build_parser()._subparsers._group_actions[0]
    taking = {name for name, command in parser.choices.items()
              if any("--remote" in action.option_strings for action in command._actions)}
    assert taking == _commands() - NOT_SPARK
