"""`make submit`'s command line, and bad input refused before spark-submit starts."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from retail_synth.cli.submit import (
    MAIN_SCRIPT,
    code_zip,
    submit_command,
    submit_environment,
)


def _submit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "retail_synth.cli.submit", *args], cwd=cwd, capture_output=True, text=True,
                          check=False, timeout=120, env={"PATH": "/usr/bin:/bin"})


@pytest.fixture
def wheel(tmp_path) -> Path:
    """A stand-in wheel: a zip holding one module (what matters here is the name and that it is a zip)."""
    path = tmp_path / "retail_synth-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("components/__init__.py", "")
    return path


@pytest.mark.parametrize("job_args, expected", [
    (["generate", "--preset", "enormous"], "unknown preset 'enormous'"),
    (["generate", "--set", "customers.customer_count=-3"], "customers.customer_count"),
    (["generate", "--scenario", "peak"], "unknown scenario 'peak'"),
    (["generate", "--preset", "tiny", "--config", "missing.yaml"], "config file 'missing.yaml' does not exist"),
    (["validate", "--output", "x", "--catalog", "c", "--schema", "s"], "either --output"),
    ([], "give a retail-synth command"),
])
def test_bad_job_arguments_exit_2_with_one_line_before_spark(job_args, expected, wheel, tmp_path):
    result = _submit("--master", "spark://127.0.0.1:7", "--code", str(wheel), "--build-dir", str(tmp_path / "build"),
                     "--", *job_args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and expected in result.stderr
    assert not (tmp_path / "build").exists()


def test_missing_wheel_and_empty_master_exit_2(wheel, tmp_path):
    missing = _submit("--master", "local[1]", "--code", str(tmp_path / "none.whl"), "--", "presets", cwd=tmp_path)
    assert missing.returncode == 2 and "make dist" in missing.stderr
    empty = _submit("--master", " ", "--code", str(wheel), "--", "presets", cwd=tmp_path)
    assert empty.returncode == 2 and "MASTER is empty" in empty.stderr


def test_the_code_goes_as_a_zip_with_the_delta_jars_and_the_options_override_ours(wheel, tmp_path):
    archive = code_zip(wheel, tmp_path / "build")
    assert archive.suffix == ".zip" and zipfile.ZipFile(archive).namelist() == ["components/__init__.py"]
    options = ["--conf", "spark.pyspark.python=/opt/py/bin/python", "--executor-memory", "2g"]
    command = submit_command("spark://h:7077", archive, tmp_path / "log4j2.properties", options,
                             ["generate", "--preset", "tiny"])
    assert Path(command[0]).name == "spark-submit" and command[1:3] == ["--master", "spark://h:7077"]
    assert command[command.index("--py-files") + 1] == str(archive)
    assert "--jars" in command or "--packages" in command
    assert f"spark.pyspark.driver.python={sys.executable}" in command
    main = command.index(str(MAIN_SCRIPT))
    assert command[main - len(options):main] == options          # last before the job: they win
    assert command[main + 1:] == ["generate", "--preset", "tiny"]


def test_cluster_deploy_mode_leaves_the_driver_python_to_the_cluster(wheel, tmp_path):
    command = submit_command("yarn", wheel, tmp_path / "log4j2.properties", ["--deploy-mode", "cluster"], ["presets"])
    assert not any(part.startswith("spark.pyspark.driver.python") for part in command)


def test_spark_home_is_this_venvs_pyspark_and_local_executors_run_this_python():
    import pyspark

    local = submit_environment("local[2]", environ={})
    assert local["SPARK_HOME"] == str(Path(pyspark.__file__).parent)
    assert local["PYSPARK_PYTHON"] == sys.executable
    assert "PYSPARK_PYTHON" not in submit_environment("spark://h:7077", environ={})
