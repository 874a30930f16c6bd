"""The wheel, installed in a fresh venv with no repository nearby, runs generate, validate and report."""

from __future__ import annotations

import configparser
import subprocess
import sys
import zipfile

import pytest

from retail_synth.checks.quickstart import load_quickstart
from retail_synth.spec.configuration import preset_names
from retail_synth.spec.contracts import all_tables
from tests.deployment.conftest import ROOT, clean_environment
from tests.support import databricks_bundle as dab

# Spark processes of their own (a cluster, a fresh venv's JVMs): out of `make test` and of the `-m "not spark"` loop
pytestmark = [pytest.mark.spark, pytest.mark.own_spark]


def test_wheel_carries_the_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "retail_synth/conf/defaults.yaml" in names
    assert {f"retail_synth/conf/presets/{p}.yaml" for p in preset_names()} <= names
    assert {f"retail_synth/contracts/{t}.yaml" for t in all_tables()} <= names
    assert {f"retail_synth/contracts/quickstart/{q.check}.sql" for q in load_quickstart()} <= names
    packages = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert packages == {"retail_synth"}, packages


def test_bundle_wheel_tasks_name_the_wheel_and_its_entry_point(wheel):
    archive = zipfile.ZipFile(wheel)
    info = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
    entry_points = configparser.ConfigParser()
    entry_points.read_string(archive.read(info).decode())
    for key, task in dab.tasks().items():
        if "python_wheel_task" in task:
            assert wheel.name.startswith(task["python_wheel_task"]["package_name"] + "-"), key
            assert task["python_wheel_task"]["entry_point"] in entry_points["console_scripts"], key


def test_installed_wheel_generates_validates_and_reports_from_any_directory(wheel, tmp_path):
    assert ROOT not in tmp_path.parents
    venv, work = tmp_path / "venv", tmp_path / "elsewhere"
    work.mkdir()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = clean_environment()
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f"{wheel}[spark]"],
                             cwd=work, env=env, capture_output=True, text=True, check=False, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]

    where = subprocess.run([str(venv / "bin" / "python"), "-c", ("import importlib.util, retail_synth; "
                            "print(retail_synth.__file__, *(importlib.util.find_spec(n) for n in ('components', 'pipelines')))")],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv)), where
    assert where.split()[1:] == ["None", "None"], where

    def retail_synth(*args):
        result = subprocess.run([str(venv / "bin" / "retail-synth"), *args], cwd=work, env=env,
                                capture_output=True, text=True, check=False, timeout=900)
        assert result.returncode == 0, f"{args}: {result.stdout[-2000:]}{result.stderr[-3000:]}"
        return result.stdout

    retail_synth("generate", "--preset", "tiny", "--output", "out", "--quiet")
    checked = retail_synth("validate", "--output", "out")
    assert "PASS" in checked and "FAIL" not in checked
    retail_synth("report", "--output", "out")
    assert (work / "out" / "report.html").stat().st_size > 10_000
