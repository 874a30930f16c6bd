"""The built wheel, shared by the deployment tests (`make test-deployment`; `make test-processes` runs them too)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def clean_environment(**extra: str) -> dict[str, str]:
    """This environment without what would let a child find this repository or this venv's Spark settings."""
    dropped = ("PYTHONPATH", "VIRTUAL_ENV", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "SPARK_HOME", "SPARK_REMOTE",
               "PYSPARK_GATEWAY_PORT", "PYSPARK_GATEWAY_SECRET", "SPARK_CONNECT_MODE_ENABLED", "SPARK_LOCAL_REMOTE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def wheel() -> Path:
    """dist/retail_synth-<version>-py3-none-any.whl, as `make dist` builds it."""
    result = subprocess.run(["make", "--no-print-directory", "dist"], cwd=ROOT, capture_output=True, text=True,
                            check=False, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = sorted((ROOT / "dist").glob("retail_synth-*-py3-none-any.whl"), key=lambda p: p.stat().st_mtime)
    assert wheels, "make dist built no wheel"
    return wheels[-1]
