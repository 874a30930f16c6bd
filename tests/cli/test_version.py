"""`retail-synth --version`: the installed distribution's version, the same through every way in."""

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from retail_synth.cli.main import main

BIN = Path(sys.executable).parent
EXPECTED = f"retail-synth {version('retail-synth')}"


def test_version_through_main(capsys):
    assert main(["--version"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == EXPECTED and captured.err == ""


@pytest.mark.parametrize("command", [[str(BIN / "retail-synth")], [sys.executable, "-m", "retail_synth"]],
                         ids=["console script", "python -m"])
def test_version_through_the_console_entry(command, tmp_path):
    result = subprocess.run([*command, "--version"], check=False, cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, EXPECTED, "")
    assert list(tmp_path.iterdir()) == []
