"""Session selection without Spark: Connect URLs, the task slots of a local master, the embedded catalog's folders."""

import subprocess
import sys
from pathlib import Path

import pytest

from retail_synth.spark.session import (
    JVM_OPTION_VARIABLES,
    THROUGHPUT_COLLECTOR,
    RemoteError,
    check_remote,
    embedded_conf,
    local_slots,
    remote_from,
)

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("url", ["local", "local[2]", "local[*]", "local[4,3]", "sc://localhost", "sc://db:15002/;token=x"])
def test_connect_urls_accepted(url):
    assert check_remote(f" {url} ") == url


@pytest.mark.parametrize("url", ["", "  ", "local[0]", "local[x]", "yarn", "sc://", "http://host:15002"])
def test_bad_connect_urls_rejected(url):
    with pytest.raises(RemoteError):
        check_remote(url)


def test_flag_wins_over_spark_remote_and_spark_remote_is_checked():
    assert remote_from("local[2]", {"SPARK_REMOTE": "sc://elsewhere"}) == "local[2]"
    assert remote_from(None, {"SPARK_REMOTE": "sc://elsewhere"}) == "sc://elsewhere"
    assert remote_from(None, {}) is None
    with pytest.raises(RemoteError, match="SPARK_REMOTE"):
        remote_from(None, {"SPARK_REMOTE": ""})


def test_local_server_refused_under_spark_submit():
    with pytest.raises(RemoteError, match="spark-submit"):
        remote_from("local[2]", {"PYSPARK_GATEWAY_PORT": "1234"})
    assert remote_from("sc://host:15002", {"PYSPARK_GATEWAY_PORT": "1234"}) == "sc://host:15002"


def test_task_slots_of_a_local_master(monkeypatch):
    """What a Connect session without spark.default.parallelism falls back to (its server: tests/spark/test_spark_connect.py)."""
    monkeypatch.setattr("os.cpu_count", lambda: 6)
    assert [local_slots(m) for m in ("local[3]", "local[*]", "local", "local[4,2]")] == [3, 6, 1, 4]
    assert local_slots("spark://host:7077") is None and local_slots("yarn") is None


def test_embedded_catalog_lives_under_retail_synth_home(tmp_path, monkeypatch):
    monkeypatch.setenv("RETAIL_SYNTH_HOME", str(tmp_path / "home"))
    conf = embedded_conf()
    assert conf["spark.sql.catalogImplementation"] == "hive"
    assert f"databaseName={tmp_path / 'home' / 'metastore_db'};" in conf["spark.hadoop.javax.jdo.option.ConnectionURL"]
    assert conf["spark.sql.warehouse.dir"] == str(tmp_path / "home" / "spark-warehouse")
    assert f"-Dderby.stream.error.file={tmp_path / 'home' / 'derby.log'}" in conf["spark.driver.extraJavaOptions"]
    paths_only = embedded_conf(persistent_catalog=False)
    assert "spark.sql.catalogImplementation" not in paths_only and "derby" not in paths_only["spark.driver.extraJavaOptions"]


@pytest.fixture
def no_jvm_options(monkeypatch):
    """An environment without JVM options (the shared session's fixture sets SPARK_SUBMIT_OPTS)."""
    for name in JVM_OPTION_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_embedded_jvm_collects_with_the_throughput_collector(no_jvm_options):
    no_jvm_options.setenv("JAVA_TOOL_OPTIONS", "-Xss4m")
    assert THROUGHPUT_COLLECTOR in embedded_conf(persistent_catalog=False)["spark.driver.extraJavaOptions"].split()


@pytest.mark.parametrize("name", JVM_OPTION_VARIABLES)
def test_a_collector_chosen_in_the_environment_is_left_alone(no_jvm_options, name):
    """Two collector choices would stop the JVM before Spark starts."""
    no_jvm_options.setenv(name, "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    assert "GC" not in embedded_conf(persistent_catalog=False)["spark.driver.extraJavaOptions"]


@pytest.mark.parametrize("args", [
    ["validate", "--remote", "", "--output", "warehouse"],
    ["generate", "--preset", "tiny", "--remote", "yarn"],
    ["report", "--remote", "local[0]"],
])
def test_bad_remote_exits_2_with_one_line_before_spark(tmp_path, args):
    result = subprocess.run([str(BIN / "retail-synth"), *args], cwd=tmp_path, capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Spark Connect URL" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_empty_spark_remote_exits_2(tmp_path):
    result = subprocess.run([str(BIN / "retail-synth"), "generate", "--preset", "tiny"], cwd=tmp_path,
                            capture_output=True, text=True, check=False, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "SPARK_REMOTE": ""})
    assert result.returncode == 2 and result.stderr.startswith("retail-synth: error: SPARK_REMOTE:")
    assert list(tmp_path.iterdir()) == []
